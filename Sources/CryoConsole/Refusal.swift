import CryoDomain
import Hummingbird
import Mustache

/// A refused form, said twice: a summary at the top of the page (focused, `role="alert"`) that links to the
/// field, and the message beside the field itself (`{{#fieldErrors.NAME}}`). The page keeps every value entered.
struct Refusal: Sendable {
    struct Item: Sendable { let message: String; let anchor: String? }

    let heading: String
    let items: [Item]
    let advice: String
    let byField: FieldMessages
    /// The page's status: the one mapping of a domain error to HTTP (`DomainError.httpStatus`), as in the API.
    let status: HTTPResponse.Status
    /// Which of the page's forms was refused, when it has several (a test on the QC page, a disposition).
    let form: String?

    /// `fields`: the form's field names, each with the id of its input on the page. A field path such as
    /// `antiHla[1]` or `signature.meaning` belongs to its first part; a refusal naming no field of the form
    /// is said in the summary only.
    init(_ error: DomainError, fields: [String: String] = [:], form: String? = nil) {
        let named: String? = switch error {
        case .invalid(let field, _): field
        case .conflict(let field, _): field
        case .signatureRejected: Signing.passwordField
        default: nil
        }
        let base = named.map { String($0.prefix { $0 != "[" && $0 != "." }) }
        let message = error.description
        let status = HTTPResponse.Status(code: error.httpStatus)
        if let base, let anchor = fields[base] {
            self.init(message: message, anchor: anchor, field: base, form: form, status: status)
        } else {
            self.init(message: message, anchor: nil, field: nil, form: form, status: status)
        }
    }

    init(message: String, anchor: String?, field: String?, form: String?, status: HTTPResponse.Status) {
        self.status = status
        heading = "Not done: nothing was changed"
        items = [Item(message: message, anchor: anchor)]
        advice = "What you entered is kept below: correct it and send the form again."
        byField = FieldMessages(messages: field.map { [$0: message] } ?? [:])
        self.form = form
    }

    /// The message beside the input with this id, when the refusal names its field.
    func message(atAnchor anchor: String) -> String? { items.first { $0.anchor == anchor }?.message }

    /// The message for the refused form, when `form` names it (for pages with several forms).
    func message(for form: String) -> String? { self.form == form ? items.first?.message : nil }
}

/// The refusal's messages by form field name, for the templates: `{{#fieldErrors.celsius}}…{{.}}…{{/fieldErrors.celsius}}`.
struct FieldMessages: MustacheParent, Sendable {
    let messages: [String: String]
    func child(named name: String) -> Any? { messages[name] }
}
