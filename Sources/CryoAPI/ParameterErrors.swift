import CryoAPIGenerated
import Foundation
import HummingbirdCore
import OpenAPIRuntime

/// Names the path or query parameter behind a decoding failure of the generated server code.
///
/// The runtime's URI decoder reports a bad parameter with an empty coding path and without the
/// parameter's name ("must be of type integer", "Cannot initialize FormatPayload from invalid String
/// value AAA"), so the parameter is found again from the request: the typed (non-string) parameters
/// of each operation are listed here, in the contract's order, with the generated enums' own cases.
enum ParameterErrors {
    enum Kind {
        case integer
        case boolean
        case oneOf([String])

        func accepts(_ value: String) -> Bool {
            switch self {
            case .integer: Int64(value) != nil
            case .boolean: Bool(value) != nil
            case .oneOf(let values): values.contains(value)
            }
        }

        var rule: String {
            switch self {
            case .integer: "must be an integer (64-bit)"
            case .boolean: "must be true or false"
            case .oneOf(let values): "must be one of \(values.joined(separator: ", "))"
            }
        }
    }

    static func cases<E: CaseIterable & RawRepresentable>(_: E.Type) -> Kind where E.RawValue == String {
        .oneOf(E.allCases.map(\.rawValue))
    }

    /// operationId → its typed parameters, path parameters first, as the generated code decodes them.
    static let typed: [String: [(name: String, kind: Kind)]] = [
        "listLots": [("status", cases(Components.Schemas.LotStatus.self)), ("limit", .integer)],
        "listCustodyEvents": [("subjectType", cases(Operations.ListCustodyEvents.Input.Path.SubjectTypePayload.self))],
        "listHolds": [("subjectType", cases(Components.Schemas.HoldSubject.self)), ("active", .boolean)],
        "liftHold": [("holdId", .integer)],
        "getPickList": [("allocationId", .integer)],
        "pickAllocation": [("allocationId", .integer)],
        "getCertificateOfAnalysis": [("format", cases(Operations.GetCertificateOfAnalysis.Input.Query.FormatPayload.self))],
        "importBatch": [("kind", cases(Operations.ImportBatch.Input.Query.KindPayload.self)), ("dryRun", .boolean)],
    ]

    /// operationId → its required query parameters (a request whose query cannot be read as
    /// `name=value` pairs, e.g. `?=&x`, reports them as null rather than missing).
    static let requiredQuery: [String: [String]] = [
        "getCohortDecision": ["cohortId"],
        "exportCustodyReport": ["format"],
        "importBatch": ["kind"],
    ]

    /// operationId → the date-time field of its JSON body: the runtime's ISO 8601 transcoder reports a
    /// malformed one without its coding path. TemperatureInput.measuredAt is the only one in the contract.
    static let dateTimeBodyField: [String: String] = [
        "recordTemperature": "measuredAt",
    ]

    /// The parameter (or date-time body field) of the operation whose value the contract does not allow.
    static func diagnose(_ error: ServerError) -> (field: String, rule: String)? {
        let path = error.requestMetadata.pathParameters
        let query = URI(error.request.path ?? "").queryParameters
        switch error.underlyingError as? DecodingError {
        case .valueNotFound(_, let ctx)? where ctx.codingPath.isEmpty:
            for name in requiredQuery[error.operationID] ?? [] where (query[name[...]] ?? "").isEmpty {
                return (name, "is required")
            }
        case .dataCorrupted(let ctx)? where ctx.codingPath.isEmpty && ctx.debugDescription.contains("ISO8601"):
            if let field = dateTimeBodyField[error.operationID] {
                return (field, "must be a date and time in RFC 3339 form, e.g. 2026-03-01T10:00:00Z")
            }
        default:
            break
        }
        for (name, kind) in typed[error.operationID] ?? [] {
            let value: String? = path[name].map { String($0).removingPercentEncoding ?? String($0) } ?? query[name[...]].map(String.init)
            if let value, !kind.accepts(value) {
                return (name, kind.rule)
            }
        }
        return nil
    }
}
