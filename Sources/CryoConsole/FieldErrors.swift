import CryoDomain
import Hummingbird

/// Places a refusal next to the form field it names: `err_<field>` for a field the form has (an indexed
/// field such as `antiHla[1]` belongs to `antiHla`), `fallback` (the form's own message) for anything else.
enum FieldErrors {
    static func context(_ error: DomainError, fields: Set<String>, fallback: String = "formError") -> [String: Any] {
        let named: String? = switch error {
        case .invalid(let field, _): field
        case .conflict(let field, _): field
        default: nil
        }
        let base = named.map { String($0.prefix { $0 != "[" && $0 != "." }) }
        if let base, fields.contains(base) { return ["err_\(base)": error.description] }
        return [fallback: error.description]
    }

    /// The status a re-rendered form answers with: conflicts 409, a refused signature 403, other input 400.
    static func status(_ error: DomainError) -> HTTPResponse.Status {
        switch error {
        case .conflict: return .conflict
        case .signatureRejected: return .forbidden
        default: return .badRequest
        }
    }
}
