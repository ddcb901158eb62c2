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
        "exportCustodyReport": [("format", cases(Operations.ExportCustodyReport.Input.Query.FormatPayload.self))],
        "listHolds": [("subjectType", cases(Components.Schemas.HoldSubject.self)), ("active", .boolean)],
        "liftHold": [("holdId", .integer)],
        "getPickList": [("allocationId", .integer)],
        "pickAllocation": [("allocationId", .integer)],
        "getCertificateOfAnalysis": [("format", cases(Operations.GetCertificateOfAnalysis.Input.Query.FormatPayload.self))],
        "importBatch": [("kind", cases(Operations.ImportBatch.Input.Query.KindPayload.self)), ("dryRun", .boolean)],
    ]

    /// The first typed parameter of the operation whose value the contract does not allow.
    static func diagnose(_ error: ServerError) -> (field: String, rule: String)? {
        guard let parameters = typed[error.operationID] else { return nil }
        let path = error.requestMetadata.pathParameters
        let query = URI(error.request.path ?? "").queryParameters
        for (name, kind) in parameters {
            let value: String? = path[name].map { String($0).removingPercentEncoding ?? String($0) } ?? query[name[...]].map(String.init)
            if let value, !kind.accepts(value) {
                return (name, kind.rule)
            }
        }
        return nil
    }
}
