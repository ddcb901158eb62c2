import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import OpenAPIRuntime

extension APIService {
    func planAllocation(_ input: Operations.PlanAllocation.Input) async throws -> Operations.PlanAllocation.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        var request = PlanRequest(patients: b.patients)
        request.doseTolerancePct = b.doseTolerancePct ?? 20
        request.expiryMarginDays = b.expiryMarginDays ?? 1
        request.cohortLots = b.cohortLots.map(Mapping.contract) ?? .soft
        request.timeLimitSeconds = b.timeLimitSeconds
        let plan = try await store.planAllocation(request, actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(
            id: plan.id.uuidString.lowercased(), asOf: plan.asOf, objective: plan.objective.map(Int64.init), provenOptimal: plan.provenOptimal,
            solveSeconds: plan.solveSeconds,
            assignments: plan.assignments.map { .init(demand: $0.demand, kind: .init(rawValue: $0.kind)!, lot: $0.lot, vials: $0.vials, vialIds: $0.vialIds, explanation: $0.explanation) },
            unassigned: plan.unassigned.map { .init(demand: $0["demand"] ?? "", kind: $0["kind"] ?? "", reason: $0["reason"] ?? "") }))))
    }

    func getPlanInstance(_ input: Operations.GetPlanInstance.Input) async throws -> Operations.GetPlanInstance.Output {
        let data = try await store.allocationPlanInstance(id: try Mapping.uuid(input.path.planId, field: "planId"), actor: caller(), logger: logger)
        // Stored as the optimizer read it (FORMAT.md v1); decoding it into the contract's type checks that it still is.
        return .ok(.init(body: .json(try JSONDecoder().decode(Components.Schemas.AllocationInstance.self, from: data))))
    }

    func commitAllocation(_ input: Operations.CommitAllocation.Input) async throws -> Operations.CommitAllocation.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let done = try await store.commitAllocation(planId: try Mapping.uuid(input.path.planId, field: "planId"), patients: b.patients,
                                                    actor: caller(), logger: logger)
        return .created(.init(body: .json(done.map { .init(allocationId: $0.allocationId, subjectId: $0.subjectId, lotNumber: $0.lotNumber, vialIds: $0.vialIds) })))
    }

    func getPickList(_ input: Operations.GetPickList.Input) async throws -> Operations.GetPickList.Output {
        .ok(.init(body: .json(try await store.pickList(allocationId: input.path.allocationId, actor: caller(), logger: logger).map(Mapping.pickLine))))
    }

    func pickAllocation(_ input: Operations.PickAllocation.Input) async throws -> Operations.PickAllocation.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        return .ok(.init(body: .json(try await store.pickAllocation(allocationId: input.path.allocationId, scannedVialIds: b.scannedVialIds,
                                                                    actor: caller(), logger: logger).map(Mapping.pickLine))))
    }

    func shipVials(_ input: Operations.ShipVials.Input) async throws -> Operations.ShipVials.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let s = try await store.shipVials(ShipmentInput(vialIds: b.vialIds, toSite: b.toSite, dryShipperId: b.dryShipperId, dataLoggerId: b.dataLoggerId,
                                                        validatedHoldHours: b.validatedHoldHours, scannedVialIds: b.scannedVialIds,
                                                        scannedDryShipperId: b.scannedDryShipperId), actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.shipment(s))))
    }

    func receiveShipment(_ input: Operations.ReceiveShipment.Input) async throws -> Operations.ReceiveShipment.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let s = try await store.receiveShipment(id: input.path.shipmentId, loggerMaxCelsius: b.loggerMaxCelsius, scannedVialIds: b.scannedVialIds,
                                                   actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.shipment(s))))
    }

    func thawVial(_ input: Operations.ThawVial.Input) async throws -> Operations.ThawVial.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        return .ok(.init(body: .json(Mapping.vial(try await store.thawVial(id: input.path.vialId, scannedVialId: b.scannedVialId,
                                                                          scannedSubjectId: b.scannedSubjectId, actor: caller(), logger: logger)))))
    }

    func administerVial(_ input: Operations.AdministerVial.Input) async throws -> Operations.AdministerVial.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let vial = try await store.administerVial(id: input.path.vialId, scannedSubjectId: b.subjectId, signature: Mapping.signature(b.signature),
                                                  actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.vial(vial))))
    }

    func destroyVial(_ input: Operations.DestroyVial.Input) async throws -> Operations.DestroyVial.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        return .ok(.init(body: .json(Mapping.vial(try await store.destroyVial(id: input.path.vialId, reason: b.reason, actor: caller(), logger: logger)))))
    }
}

extension Mapping {
    static func uuid(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw DomainError.invalid(field: field, rule: "must be a UUID") }
        return id
    }

    static func pickLine(_ l: PickListLine) -> Components.Schemas.PickListLine {
        .init(vialId: l.vialId, subjectId: l.subjectId, lotNumber: l.lotNumber, status: l.status.rawValue, location: l.location)
    }

    static func shipment(_ s: ShipmentRecord) -> Components.Schemas.Shipment {
        .init(id: s.id, fromSite: s.fromSite, toSite: s.toSite, dryShipperId: s.dryShipperId, dataLoggerId: s.dataLoggerId,
              validatedHoldHours: s.validatedHoldHours, shippedAt: s.shippedAt, expectedArrival: s.expectedArrival, receivedAt: s.receivedAt,
              loggerMaxCelsius: s.loggerMaxCelsius, receiptExcursion: s.receiptExcursion, vialIds: s.vialIds)
    }
}
