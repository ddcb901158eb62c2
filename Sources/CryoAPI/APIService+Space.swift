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

    func checkOutStorage(_ input: Operations.CheckOutStorage.Input) async throws -> Operations.CheckOutStorage.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let records = try await store.checkOut(try Self.checkoutTarget(vialId: b.vialId, boxId: b.boxId),
                                               purpose: CheckoutPurpose(rawValue: b.purpose.rawValue)!, actor: caller(), logger: logger)
        return .ok(.init(body: .json(records.map(Self.checkout))))
    }

    func checkInStorage(_ input: Operations.CheckInStorage.Input) async throws -> Operations.CheckInStorage.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let records = try await store.checkIn(try Self.checkoutTarget(vialId: b.vialId, boxId: b.boxId), actor: caller(), logger: logger)
        return .ok(.init(body: .json(records.map(Self.checkout))))
    }

    static func checkoutTarget(vialId: String?, boxId: String?) throws -> CheckoutTarget {
        switch (vialId, boxId) {
        case (let vial?, nil): return .vial(vial)
        case (nil, let box?): return .box(box)
        case (nil, nil): throw DomainError.invalid(field: "vialId", rule: "give vialId or boxId")
        default: throw DomainError.invalid(field: "boxId", rule: "give vialId or boxId, not both")
        }
    }

    static func checkout(_ r: CheckoutRecord) -> Components.Schemas.Checkout {
        .init(vialId: r.vialId, position: r.position, purpose: r.purpose, checkedOutAt: r.checkedOutAt, checkedInAt: r.checkedInAt,
              minutesOut: r.minutesOut, totalMinutesOut: r.totalMinutesOut, limitMinutes: r.limitMinutes, holdId: r.holdId)
    }

    func getStorageSpace(_ input: Operations.GetStorageSpace.Input) async throws -> Operations.GetStorageSpace.Output {
        let r = try await store.spaceReport(freezerId: input.query.freezerId, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(
            freezers: r.freezers.map { f in
                .init(id: f.id, name: f.name, occupied: f.occupied, capacity: f.capacity, utilisation: f.utilisation, racks: f.racks.map { rack in
                    .init(id: rack.id, label: rack.label, occupied: rack.occupied, capacity: rack.capacity, utilisation: rack.utilisation, boxes: rack.boxes.map { b in
                        .init(id: b.id, label: b.label, occupied: b.occupied, capacity: b.capacity, utilisation: b.utilisation, emptyPositions: b.emptyPositions)
                    })
                })
            },
            consolidation: r.consolidation.map { .init(boxId: $0.boxId, occupied: $0.occupied, intoBoxId: $0.intoBoxId, freeThere: $0.freeThere) }))))
    }

    func findFreePositions(_ input: Operations.FindFreePositions.Input) async throws -> Operations.FindFreePositions.Output {
        let positions = try await store.findSpace(lotNumber: input.path.lotNumber, count: input.query.count, freezerId: input.query.freezerId,
                                                  actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(positions: positions.map(\.label)))))
    }
}
