import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

extension APIService {
    func listQcResults(_ input: Operations.ListQcResults.Input) async throws -> Operations.ListQcResults.Output {
        .ok(.init(body: .json(try await store.qcResults(lotNumber: input.path.lotNumber, actor: caller(), logger: logger).map { try Mapping.qcResult($0) })))
    }

    func recordQcResult(_ input: Operations.RecordQcResult.Input) async throws -> Operations.RecordQcResult.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let result = try await store.recordQcResult(
            lotNumber: input.path.lotNumber,
            QcResultInput(testCode: b.testCode, numericValue: b.numericValue, textValue: b.textValue, unit: b.unit, method: b.method,
                          instrument: b.instrument, analyst: b.analyst, supersedes: b.supersedes, correctionReason: b.correctionReason),
            actor: caller(), logger: logger)
        return .created(.init(body: .json(try Mapping.qcResult(result))))
    }

    func releaseLot(_ input: Operations.ReleaseLot.Input) async throws -> Operations.ReleaseLot.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let lot = try await store.releaseLot(
            number: input.path.lotNumber, kind: ReleaseKind(rawValue: b.kind.rawValue)!, justification: b.justification,
            pendingTests: b.pendingTests ?? [], restrictedTo: b.restrictedTo ?? [], reason: b.reason,
            signature: SignatureInput(password: b.signature.password, meaning: b.signature.meaning), actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.lot(lot))))
    }
}

extension Mapping {
    static func qcResult(_ r: QcResultRecord) throws -> Components.Schemas.QcResult {
        .init(id: r.id, lotNumber: r.lotNumber, testCode: r.testCode, numericValue: r.numericValue, textValue: r.textValue, unit: r.unit,
              method: r.method, instrument: r.instrument, analyst: r.analyst, recordedBy: r.recordedBy, recordedAt: r.recordedAt,
              outcome: try contract(stored: r.outcome), supersedes: r.supersedes, correctionReason: r.correctionReason, current: r.current)
    }
}
