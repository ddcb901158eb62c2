import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The work list's view model: the role's queues, each a heading, what to do, and its lines.
struct WorkListPage: Sendable {
    struct Line: Sendable { let text: String; let href: String?; let detail: String }
    /// Stored, not computed: the template reads properties by reflection.
    struct Queue: Sendable {
        let id: String, heading: String, explanation: String, lines: [Line], empty: String, count: Int, isEmpty: Bool
        init(id: String, heading: String, explanation: String, lines: [Line], empty: String) {
            self.id = id; self.heading = heading; self.explanation = explanation; self.lines = lines; self.empty = empty
            count = lines.count; isEmpty = lines.isEmpty
        }
    }
    let role: String
    let queues: [Queue]
    let scanHint: String
}

extension Console {
    /// Each role lands on its own work list (CONSOLE.md, "Task first"): the queues its permissions give it.
    func home() async throws -> Response {
        let user = try signedIn()
        let list = try await store.workList(actor: user, logger: logger)
        let queues = list.map { queue, items in
            WorkListPage.Queue(id: queue.rawValue, heading: WorkWording.heading(queue), explanation: WorkWording.explanation(queue),
                               lines: items.map { WorkWording.line(queue, $0) }, empty: WorkWording.empty(queue))
        }
        return try render("home", title: "Work list", WorkListPage(role: user.role.rawValue, queues: queues,
                                                                      scanHint: "Scan or type a vial id (CV…) and press Enter"))
    }

    /// A scanned vial id: the check character is verified before the round trip in the page, and again here.
    /// A scanner's trailing CR, Tab or space and lowercase letters are forgiven (`ScanText`).
    func find(_ request: Request) async throws -> Response {
        // A form's GET sends a space as "+"; a vial id never holds one.
        let sent = (request.uri.queryParameters["id"].map(String.init) ?? "").replacingOccurrences(of: "+", with: " ")
        let text = ScanText.trimmed(sent)
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
        case .invalid(_, let rule), .conflict(_, let rule): return RefusalSentences.plain(rule)
        default: return RefusalSentences.sentence(for: self)
        }
    }
}
