import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Evacuating a freezer: the form posts a dry run first; its page lists every move and offers the confirmation,
    /// which repeats the same request for real. A refusal is shown next to the form with nothing moved.
    func evacuateFreezer(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let confirmed = form["confirm"] == "yes"
        let targetText = form["target"] ?? ""
        let modeText = form["mode"] ?? ""
        let reason = form["reason"] ?? ""
        do {
            let target = try StorageRef(parsing: targetText.contains(":") ? targetText : "freezer:" + targetText, field: "target")
            guard let mode = EvacuationMode(rawValue: modeText) else {
                throw DomainError.invalid(field: "mode", rule: "must be same-positions or free-positions")
            }
            let result = try await store.evacuate(source: StorageRef(level: .freezer, id: id), target: target, mode: mode, reason: reason,
                                                  dryRun: !confirmed, actor: user, logger: logger)
            return try page("evacuation", title: confirmed ? "Evacuated \(id)" : "Evacuate \(id): dry run", [
                "freezerId": id, "target": "\(target.level.rawValue):\(target.id)", "mode": mode.rawValue, "reason": result.reason,
                "dryRun": result.dryRun, "count": result.moves.count,
                "moves": result.moves.map { ["vial": $0.vialId, "lot": $0.lotNumber, "from": $0.from, "to": $0.to] },
            ])
        } catch let error as DomainError {
            let status: HTTPResponse.Status
            switch error {
            case .conflict: status = .conflict
            case .forbidden: throw error
            default: status = .badRequest
            }
            return try await freezerPage(id, request, evacuation: ["message": error.description, "target": targetText, "reason": reason,
                                                                   "samePositions": modeText != EvacuationMode.freePositions.rawValue],
                                         status: status)
        }
    }
}
