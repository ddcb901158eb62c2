/// Errors a caller can act on. Every one names what was wrong and which rule it broke.
public enum DomainError: Error, Equatable, Sendable {
    /// Input broke a rule: `field` is a JSON-style path ("hla[2]", "cellsPerVial").
    case invalid(field: String, rule: String)
    case notFound(kind: String, id: String)
    /// The request is fine but the current state forbids it (occupied position, duplicate id, illegal transition).
    case conflict(field: String?, rule: String)
    case unauthenticated(String)
    case forbidden(role: Role, action: Action)
    /// An electronic signature was refused: wrong password, or a locked account.
    case signatureRejected(String)
}

extension DomainError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalid(let field, let rule): return "\(field): \(rule)"
        case .notFound(let kind, let id): return "\(kind) '\(id)' does not exist"
        case .conflict(let field, let rule): return field.map { "\($0): \(rule)" } ?? rule
        case .unauthenticated(let why): return why
        case .forbidden(let role, let action): return "role '\(role.rawValue)' may not \(action.rawValue)"
        case .signatureRejected(let why): return why
        }
    }
}

/// Collects the first rule broken while validating a request.
public struct Validator: Sendable {
    public init() {}

    public func require(_ condition: Bool, _ field: String, _ rule: String) throws(DomainError) {
        if !condition { throw .invalid(field: field, rule: rule) }
    }

    public func matches(_ value: String, _ pattern: some RegexComponent, _ field: String, _ rule: String) throws(DomainError) {
        if (try? pattern.regex.wholeMatch(in: value)) == nil { throw .invalid(field: field, rule: rule) }
    }
}
