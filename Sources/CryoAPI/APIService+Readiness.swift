import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import OpenAPIRuntime

/// Rule 8: lymphodepletion as given, the signed pre-infusion clearance, rescheduling, and the readiness they add up to.
extension APIService {
    func getInfusionReadiness(_ input: Operations.GetInfusionReadiness.Input) async throws -> Operations.GetInfusionReadiness.Output {
        .ok(.init(body: .json(Mapping.readiness(try await store.infusionReadiness(subjectId: input.path.subjectId, actor: caller(), logger: logger)))))
    }

    func recordLymphodepletion(_ input: Operations.RecordLymphodepletion.Input) async throws -> Operations.RecordLymphodepletion.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let r = try await store.recordLymphodepletion(subjectId: input.path.subjectId, agent: b.agent.rawValue,
                                                      givenOn: try CalendarDay(parsing: b.givenOn, field: "givenOn"), actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.readiness(r))))
    }

    func clearForInfusion(_ input: Operations.ClearForInfusion.Input) async throws -> Operations.ClearForInfusion.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let r = try await store.clearForInfusion(subjectId: input.path.subjectId, items: b.items, signature: Mapping.signature(b.signature),
                                                 actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.readiness(r))))
    }

    func rescheduleInfusion(_ input: Operations.RescheduleInfusion.Input) async throws -> Operations.RescheduleInfusion.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let r = try await store.rescheduleInfusion(subjectId: input.path.subjectId, to: try CalendarDay(parsing: b.infusionOn, field: "infusionOn"),
                                                   reason: b.reason, actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.readiness(r))))
    }
}

extension Mapping {
    static func readiness(_ r: InfusionReadinessRecord) -> Components.Schemas.InfusionReadiness {
        .init(subjectId: r.subjectId, lymphodepletion: .init(rawValue: r.lymphodepletion.rawValue)!, ldStartOn: r.ldStartOn,
              plannedInfusionOn: r.plannedInfusionOn, infusionOn: r.infusionOn, today: r.today,
              plannedDoses: r.plannedDoses.map { .init(agent: .init(rawValue: $0.agent)!, givenOn: $0.givenOn) },
              dosesGiven: r.dosesGiven.map { .init(agent: $0.agent, givenOn: $0.givenOn, recordedBy: $0.recordedBy, recordedAt: $0.recordedAt) },
              clearanceItems: r.clearanceItems,
              clearances: r.clearances.map { .init(clearedOn: $0.clearedOn, items: $0.items, signedBy: $0.signedBy, signedAt: $0.signedAt) },
              reschedules: r.reschedules.map { .init(fromOn: $0.fromOn, toOn: $0.toOn, reason: $0.reason, recordedBy: $0.recordedBy, recordedAt: $0.recordedAt) },
              ready: r.ready, notReady: r.notReady)
    }
}
