import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The evacuation form: where to, how to place, why; `confirm=yes` on the dry run's confirmation.
struct EvacuationForm: Decodable, Sendable {
    var target: String?
    var mode: String?
    var reason: String?
    var confirm: String?
}

/// The moves of an evacuation: a dry run with its confirmation, or what was moved.
struct EvacuationPage: PageView {
    static let template = "evacuation"
    struct Move: Sendable { let vial: String, lot: String, from: String, to: String }
    var title: String { dryRun ? "Evacuate \(freezerId): dry run" : "Evacuated \(freezerId)" }
    let freezerId: String, target: String, mode: String, reason: String, dryRun: Bool, count: Int
    let moves: [Move]
}

extension Console {
    /// The form posts a dry run first; its page lists every move and offers the confirmation, which repeats the
    /// same request for real. A refusal is shown next to the form on the freezer's page, with nothing moved.
    func evacuateFreezer(_ id: String, _ form: EvacuationForm) async throws -> Response {
        let user = try signedIn()
        let confirmed = form.confirm == "yes"
        let targetText = form.target ?? "", modeText = form.mode ?? ""
        do {
            let target = try StorageRef(parsing: targetText.contains(":") ? targetText : "freezer:" + targetText, field: "target")
            guard let mode = EvacuationMode(rawValue: modeText) else {
                throw DomainError.invalid(field: "mode", rule: "must be same-positions or free-positions")
            }
            let result = try await store.evacuate(source: StorageRef(level: .freezer, id: id), target: target, mode: mode, reason: form.reason ?? "",
                                                  dryRun: !confirmed, actor: user, logger: logger)
            return try render(EvacuationPage(freezerId: id, target: "\(target.level.rawValue):\(target.id)", mode: mode.rawValue, reason: result.reason,
                                             dryRun: result.dryRun, count: result.moves.count,
                                             moves: result.moves.map { .init(vial: $0.vialId, lot: $0.lotNumber, from: $0.from, to: $0.to) }),
                              confirmation: result.dryRun ? nil : "✓ \(result.moves.count) vials moved from \(id) to \(target.id)")
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await freezerPage(id, refused: (form, Refusal(error, fields: Self.evacuationFields, form: "evacuate")),
                                         status: HTTPResponse.Status(code: error.httpStatus))
        }
    }
}
