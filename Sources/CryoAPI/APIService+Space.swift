import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

/// Storage-wide operations of issue 19: evacuation, time out of storage, space.
extension APIService {
    func evacuateStorage(_ input: Operations.EvacuateStorage.Input) async throws -> Operations.EvacuateStorage.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let result = try await store.evacuate(source: try StorageRef(parsing: b.source, field: "source"),
                                              target: try StorageRef(parsing: b.target, field: "target"),
                                              mode: EvacuationMode(rawValue: b.mode.rawValue)!, reason: b.reason, dryRun: b.dryRun ?? false,
                                              actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(source: result.source, target: result.target, mode: result.mode, reason: result.reason,
                                           dryRun: result.dryRun,
                                           moves: result.moves.map { .init(vialId: $0.vialId, lotNumber: $0.lotNumber, from: $0.from, to: $0.to) }))))
    }
}
