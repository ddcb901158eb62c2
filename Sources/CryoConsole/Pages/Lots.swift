import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Hummingbird

/// The lot list: filters (product, status, expiring within N days), keyset paging, counts of vials by status.
struct LotListPage: PageView {
    static let template = "lots"
    struct StatusOption: Sendable { let value: String; let selected: Bool }
    let title = "Lots"
    let lots: [LotRow]
    let empty: Bool
    let next: String?
    let product: String
    let expiringWithin: String
    let statuses: [StatusOption]
}

/// A lot: its facts, holds, every vial with where it is and whether it may be used, and the custody timeline.
struct LotPage: PageView {
    static let template = "lot"
    struct Vial: Sendable {
        let id: String, ordinal: Int, status: String, position: String, glyph: String, css: String
        let availability: String, reasons: String, hasReasons: Bool
    }
    struct Hold: Sendable { let reason: String, placedBy: String, placedAt: String }
    var title: String { "Lot \(lot.lotNumber)" }
    let lot: LotRow
    let holds: [Hold]
    let vials: [Vial]
    let events: [TimelineEvent]
    let chainIntact: Bool
    let chainProblems: [String]
    /// The "Print labels" form, for those who may print: the sites that have a label printer.
    struct Printer: Sendable { let siteCode: String, label: String, selected: Bool }
    let canPrint: Bool
    let printers: [Printer]
    let hasPrinters: Bool
}

/// The "Print labels" form: the site whose printer prints.
struct LotPrintForm: Decodable, Sendable {
    var site: String?
}

extension Console {
    func lotList(_ request: Request) async throws -> Response {
        let user = try signedIn()
        let q = request.uri.queryParameters
        let product = q["product"].map(String.init)?.nonEmpty
        let statusText = q["status"].map(String.init) ?? ""
        let status = LotStatus(rawValue: statusText)
        let within = q["expiringWithin"].flatMap { Int(String($0)) }
        let after = q["after"].map(String.init)?.nonEmpty
        let found = try await store.listLots(product: product, status: status, limit: 50, after: after, actor: user, logger: logger)
        let today = CalendarDay.today()
        let lots = found.lots.filter { lot in
            guard let within, let day = CalendarDay(lot.expiresOn) else { return true }
            return day - today <= within
        }
        let next = found.nextCursor.map { cursor in
            var parts = ["after=\(Self.queryValue(cursor))"]
            if let product { parts.append("product=\(Self.queryValue(product))") }
            if status != nil { parts.append("status=\(statusText)") }
            if let within { parts.append("expiringWithin=\(within)") }
            return "/console/lots?" + parts.joined(separator: "&")
        }
        return try render(LotListPage(lots: lots.map(LotRow.init), empty: lots.isEmpty, next: next, product: product ?? "",
                                      expiringWithin: within.map(String.init) ?? "",
                                      statuses: LotStatus.allCases.map { .init(value: $0.rawValue, selected: $0 == status) }))
    }

    func lotPage(_ number: String, refusal: Refusal? = nil, confirmation: String? = nil, site: String? = nil,
                 status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let canPrint = user.role.may(.printLabels)
        let printers = canPrint ? try await store.siteLabelPrinters(actor: user, logger: logger).filter { $0.address != nil } : []
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let events = try await store.custodyEvents(subjectType: "lot", subjectId: number, actor: user, logger: logger)
        let holds = try await store.listHolds(subject: .lot, id: number, activeOnly: true, actor: user, logger: logger)
        let chain = try await store.verifyChain(subjectType: "lot", subjectId: number, actor: user, logger: logger)
        let vials = try await store.lotVials(lotNumber: number, actor: user, logger: logger)
        return try render(LotPage(
            lot: LotRow(lot),
            holds: holds.map { .init(reason: $0.reason, placedBy: $0.placedBy, placedAt: Self.timestamp($0.placedAt)) },
            vials: vials.map { v in
                let glyph = VialGlyph(v.availability)
                return .init(id: v.id, ordinal: v.ordinal, status: v.status.rawValue, position: v.location?.label ?? "not in storage",
                             glyph: glyph.symbol, css: glyph.css, availability: Self.availabilityWords(v.availability),
                             reasons: v.availability.summary ?? "", hasReasons: !v.availability.unblocked)
            },
            events: events.map(TimelineEvent.init), chainIntact: chain.intact, chainProblems: chain.problems,
            canPrint: canPrint,
            printers: printers.map { .init(siteCode: $0.siteCode, label: "\($0.siteCode) (\($0.siteName)) at \($0.address ?? "")", selected: $0.siteCode == site) },
            hasPrinters: !printers.isEmpty),
            status: status, refusal: refusal, confirmation: confirmation)
    }

    /// Sends the lot's labels to the chosen site's printer and says so on the lot page, or says why not.
    func printLotLabels(_ number: String, _ form: LotPrintForm) async throws -> Response {
        let user = try signedIn()
        let site = ScanText.trimmed(form.site ?? "")
        do {
            let result = try await LabelPrintJob.printLot(number, siteCode: site, store: store, actor: user, logger: logger)
            return try await lotPage(number, confirmation: result.sentence, site: site)
        } catch let error as DomainError {
            switch error {
            case .forbidden, .forbiddenOperation, .notFound(kind: "lot", _): throw error
            default:
                return try await lotPage(number, refusal: Refusal(error, fields: ["site": "print-site"], form: "print-form"), site: site,
                                         status: HTTPResponse.Status(code: error.httpStatus))
            }
        }
    }
}
