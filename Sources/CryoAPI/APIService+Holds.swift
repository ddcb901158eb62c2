import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

extension APIService {
    func rejectLot(_ input: Operations.RejectLot.Input) async throws -> Operations.RejectLot.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let lot = try await store.transitionLot(number: input.path.lotNumber, to: .rejected, reason: b.reason,
                                                signature: Mapping.signature(b.signature), actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.lot(lot))))
    }

    func listHolds(_ input: Operations.ListHolds.Input) async throws -> Operations.ListHolds.Output {
        let q = input.query
        if (q.subjectType == nil) != (q.subjectId == nil) {
            throw DomainError.invalid(field: q.subjectType == nil ? "subjectType" : "subjectId", rule: "give both subjectType and subjectId, or neither")
        }
        let holds = try await store.listHolds(subject: q.subjectType.flatMap { HoldSubject(rawValue: $0.rawValue) }, id: q.subjectId,
                                              activeOnly: q.active ?? false, actor: caller(), logger: logger)
        return .ok(.init(body: .json(holds.map(Mapping.hold))))
    }

    func placeHold(_ input: Operations.PlaceHold.Input) async throws -> Operations.PlaceHold.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let hold = try await store.placeHold(on: HoldSubject(rawValue: b.subjectType.rawValue)!, id: b.subjectId, reason: b.reason,
                                             actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.hold(hold))))
    }

    func liftHold(_ input: Operations.LiftHold.Input) async throws -> Operations.LiftHold.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let hold = try await store.liftHold(id: input.path.holdId, reason: b.reason, signature: Mapping.signature(b.signature),
                                            actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.hold(hold))))
    }

    func recordTemperature(_ input: Operations.RecordTemperature.Input) async throws -> Operations.RecordTemperature.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let r = try await store.recordTemperature(freezerId: input.path.freezerId, celsius: b.celsius, measuredAt: b.measuredAt ?? Date(),
                                                  probe: b.probe, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(id: r.id, freezerId: r.freezerId, measuredAt: r.measuredAt, celsius: r.celsius, probe: r.probe,
                                                excursion: r.excursion, heldVials: r.heldVials))))
    }

    func recordDonorIneligible(_ input: Operations.RecordDonorIneligible.Input) async throws -> Operations.RecordDonorIneligible.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let r = try await store.recordDonorIneligible(code: input.path.donorCode, reason: b.reason, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(
            donorCode: r.donorCode, lotsHeld: r.lotsHeld, vialsHeld: r.vialsHeld, reservationsCancelled: r.reservationsCancelled,
            vialsOutsideStorage: r.vialsOutsideStorage,
            dosedPatients: r.dosedPatients.map { .init(subjectId: $0.subjectId, vialId: $0.vialId, lotNumber: $0.lotNumber, administeredAt: $0.administeredAt) }))))
    }
}

extension Mapping {
    static func signature(_ s: Components.Schemas.SignatureInput) -> SignatureInput {
        SignatureInput(password: s.password, meaning: s.meaning)
    }

    static func hold(_ h: HoldRecord) -> Components.Schemas.Hold {
        .init(id: h.id, subjectType: .init(rawValue: h.subjectType)!, subjectId: h.subjectId, reason: h.reason,
              source: .init(rawValue: h.source)!, sourceRef: h.sourceRef, placedBy: h.placedBy, placedAt: h.placedAt, active: h.liftedAt == nil,
              liftedBy: h.liftedBy, liftedAt: h.liftedAt, liftReason: h.liftReason)
    }
}
