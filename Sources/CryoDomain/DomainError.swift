/// Errors a caller can act on. Every one names what was wrong and which rule it broke.
public enum DomainError: Error, Equatable, Sendable {
    /// Input broke a rule: `field` is a JSON-style path ("hla[2]", "cellsPerVial").
    case invalid(field: String, rule: String)
    case notFound(kind: String, id: String)
    /// The request is fine but the current state forbids it (occupied position, duplicate id, illegal transition).
    case conflict(field: String?, rule: String)
    case unauthenticated(String)
    /// A store operation's role check (also reached from the CLI): names what is done and who does it.
    case forbidden(role: Role, action: Action)
    /// The API's up-front check (`OperationAccess`): names the operation and the roles that may call it.
    case forbiddenOperation(operation: String, role: Role, allowed: Set<Role>)
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
        case .forbidden(let role, let action): return "\(action.summary) is done by \(action.allowedRoles.spoken); you are \(role.rawValue)"
        case .forbiddenOperation(let operation, let role, let allowed): return "\(operation) is done by \(allowed.spoken); you are \(role.rawValue)"
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
