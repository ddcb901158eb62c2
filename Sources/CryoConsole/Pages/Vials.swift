import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The move form: the box, the row as printed on it (a letter; its number accepted), the column and why.
struct VialMoveForm: Decodable, Sendable {
    var box: String?
    var row: String?
    var column: String?
    var reason: String?
}

/// A vial's card: status, location, lot, product, expiry, holds, and the custody timeline with each event's hash
/// and whether its chain verifies; the move form for those who may place vials.
struct VialPage: PageView {
    static let template = "vial"
    struct Vial: Sendable {
        let id: String, lot: String, product: String, status: String, lotStatus: String, expiresOn: String
        let glyph: String, availability: String, availabilityCss: String, checkedOutSince: String?, minutesOut: Int
    }
    struct Location: Sendable { let site: String, freezer: String, rack: String, box: String, position: String }
    var title: String { "Vial \(vial.id)" }
    let vial: Vial
    let location: Location?
    let holds: [String]
    let blockers: [String]
    let hasBlockers: Bool
    let events: [TimelineEvent]
    let chainIntact: Bool
    let chainProblems: [String]
    let canMove: Bool
    /// The values of a refused move, kept.
    let form: VialMoveForm
}

extension Console {
    /// The move form's fields by the names the Store's refusals use, with the id of the input on the page.
    static let vialMoveFields = ["box": "box", "boxId": "box", "row": "row", "position": "row", "column": "column", "reason": "reason"]

    /// `moved`: the redirect after a move says so; confirmed when the vial's latest event is that move.
    func vialCard(_ id: String, moved: Bool = false, refused: (form: VialMoveForm, refusal: Refusal)? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let vialId = try VialID(parsing: id).value
        let vial = try await store.vial(id: vialId, actor: user, logger: logger)
        let events = try await store.custodyEvents(subjectType: "vial", subjectId: vialId, actor: user, logger: logger)
        let chain = try await store.verifyChain(subjectType: "vial", subjectId: vialId, actor: user, logger: logger)
        let location = vial.location.map { l in
            VialPage.Location(site: l.siteCode, freezer: l.freezerId, rack: l.rackId, box: l.boxId, position: l.label)
        }
        let glyph = VialGlyph(vial.availability)
        let view = VialPage(
            vial: .init(id: vial.id, lot: vial.lotNumber, product: vial.productCode, status: "\(vial.status)", lotStatus: "\(vial.lotStatus)",
                        expiresOn: vial.expiresOn, glyph: glyph.symbol, availability: Self.availabilityWords(vial.availability),
                        availabilityCss: glyph.css, checkedOutSince: vial.checkedOutSince.map(Self.timestamp),
                        minutesOut: vial.minutesOutOfStorage),
            location: location,
            holds: vial.availability.reasons.filter(\.code.isHold).map(\.detail),
            blockers: vial.availability.reasons.filter { !$0.code.isHold }.map(\.detail),
            hasBlockers: vial.availability.reasons.contains { !$0.code.isHold },
            events: events.map(TimelineEvent.init), chainIntact: chain.intact, chainProblems: chain.problems,
            canMove: user.role.may(.placeVial) && location != nil, form: refused?.form ?? VialMoveForm())
        let confirmation = moved && events.max(by: { $0.seq < $1.seq })?.action == "vial.moved"
            ? location.map { "✓ Moved to \($0.position)" } : nil
        return try render(view, status: status, refusal: refused?.refusal, confirmation: confirmation)
    }

    func moveVial(_ id: String, _ form: VialMoveForm) async throws -> Response {
        let user = try signedIn()
        do {
            let row = try BoxRow.parse(form.row ?? "")
            guard let column = Int(ScanText.trimmed(form.column ?? "")) else {
                throw DomainError.invalid(field: "column", rule: "must be the column's number as printed on the box, e.g. 3")
            }
            _ = try await store.moveVial(id: id, to: Position(boxId: ScanText.trimmed(form.box ?? ""), row: row, column: column),
                                         reason: form.reason, actor: user, logger: logger)
            return Response.redirect(to: "/console/vials/\(id)?\(Confirmation.moved.query())", type: .normal)
        } catch let error as DomainError {
            switch error {
            case .forbidden, .forbiddenOperation, .notFound(kind: "vial", _): throw error
            default:
                return try await vialCard(id, refused: (form, Refusal(error, fields: Self.vialMoveFields)),
                                          status: HTTPResponse.Status(code: error.httpStatus))
            }
        }
    }
}
