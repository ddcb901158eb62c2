import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Each role lands on its own work list (CONSOLE.md, "Task first").
    func home() async throws -> Response {
        let user = try signedIn()
        let (heading, status): (String, LotStatus?) = switch user.role {
        case .manufacturing: ("Lots in process", .inProcess)
        case .qa, .qc: ("Lots in quarantine, awaiting QC results and disposition", .quarantine)
        case .pharmacy, .clinical: ("Released lots available for allocation", .released)
        default: ("Lots on hold", .onHold)
        }
        let lots = try await store.listLots(product: nil, status: status, limit: 50, after: nil, actor: user, logger: logger).lots
        return try page("home", title: "Work list", [
            "heading": heading, "lots": lots.map(LotRow.init), "empty": lots.isEmpty,
            "scanHint": "Scan or type a vial id (CV…) and press Enter",
        ])
    }

    /// A scanned vial id: the check character is verified before the round trip in the page, and again here.
    func find(_ request: Request) async throws -> Response {
        let text = (request.uri.queryParameters["id"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        switch Result(catching: { () throws(DomainError) -> VialID in try VialID(parsing: text, field: "id") }) {
        case .success(let id):
            return Response.redirect(to: "/console/vials/\(id.value)", type: .found)
        case .failure(let error):
            return try errorPage(status: .badRequest, message: "\(text.isEmpty ? "(nothing)" : text): \(error.rule)")
        }
    }
}

struct LotRow {
    let lotNumber: String, productCode: String, donorCode: String, status: String, expiresOn: String, vials: String
    init(_ lot: LotRecord) {
        lotNumber = lot.lotNumber; productCode = lot.productCode; donorCode = lot.donorCode
        status = "\(lot.status)"; expiresOn = lot.expiresOn
        vials = lot.vialsByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}

extension DomainError {
    /// The rule of a refusal, for a message next to the field.
    var rule: String {
        switch self {
        case .invalid(_, let rule), .conflict(_, let rule): return rule
        default: return description
        }
    }
}
