/// A refusal (`DomainError`) as a sentence for people: the field's label and the rule, or for the rules people
/// meet at the bedside and the bench, the rule said plainly. The API keeps `field` and `rule` as they are.
public enum RefusalSentences {
    public static func sentence(for error: DomainError) -> String {
        switch error {
        case .invalid(let field, let rule): return "\(FieldLabels.label(field)): \(plain(rule))"
        case .conflict(let field?, let rule): return "\(FieldLabels.label(field)): \(plain(rule))"
        case .conflict(nil, let rule): return capitalised(plain(rule))
        case .notFound(let kind, let id): return "There is no \(kind) \(id)."
        case .forbidden(let role, let action):
            return "\(capitalised(action.summary)) is done by \(action.allowedRoles.spoken); you are signed in as \(role.rawValue)."
        case .forbiddenOperation(let operation, let role, let allowed):
            return "\(FieldLabels.spaced(operation)) is done by \(allowed.spoken); you are signed in as \(role.rawValue)."
        case .unauthenticated(let why), .signatureRejected(let why): return capitalised(why)
        }
    }

    /// Rules that start with a code-like prefix read as sentences: "chain of identity: vial CV… is reserved for
    /// nobody, not for …" → "Chain of identity: vial CV… is not reserved for any patient, not for …".
    public static func plain(_ rule: String) -> String {
        var text = rule.replacingOccurrences(of: "reserved for nobody", with: "not reserved for any patient")
        text = text.replacingOccurrences(of: "not eligible: ", with: "the patient does not meet ")
        // "no-active-cns-lymphoma (No active CNS lymphoma)": the criterion's words, without its code.
        text = text.replacing(#/[a-z0-9]+(?:-[a-z0-9]+)+ \(([^()]*)\)/#) { String($0.output.1) }
        return text
    }

    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}
