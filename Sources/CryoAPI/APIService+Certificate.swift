import CryoAPIGenerated
import CryoDomain
import CryoReports
import CryoStore
import Foundation
import OpenAPIRuntime

extension APIService {
    /// The certificate of analysis of a dispositioned lot, as JSON or as the PDF to file.
    /// `format` decides; without it, an Accept header preferring application/pdf does.
    func getCertificateOfAnalysis(_ input: Operations.GetCertificateOfAnalysis.Input) async throws -> Operations.GetCertificateOfAnalysis.Output {
        let coa = try await store.certificateOfAnalysis(lotNumber: input.path.lotNumber, actor: caller(), logger: logger)
        let accept = input.headers.accept
        let pdf: Bool
        switch input.query.format {
        case .pdf: pdf = true
        case .json: pdf = false
        case nil:
            let preferred = accept.sorted { $0.quality.doubleValue > $1.quality.doubleValue }.first {
                switch $0.contentType { case .json, .pdf: true; default: false }
            }
            if case .pdf = preferred?.contentType { pdf = true } else { pdf = false }
        }
        // The runtime would refuse a type the Accept header excludes as a bare 500; say which rule instead.
        let acceptable = accept.isEmpty || accept.contains {
            switch $0.contentType {
            case .pdf: pdf
            case .json: !pdf
            case .other(let range): range == "*/*" || range == "application/*"
            default: false
            }
        }
        if !acceptable {
            throw DomainError.invalid(field: "format", rule: "the Accept header excludes \(pdf ? "application/pdf" : "application/json"); ask for it, or drop format")
        }
        if pdf {
            let data = try CertificatePDF.render(coa)
            return .ok(.init(body: .pdf(HTTPBody(data))))
        }
        return .ok(.init(body: .json(try Mapping.certificate(coa))))
    }
}

extension Mapping {
    static func certificate(_ c: CertificateOfAnalysis) throws -> Components.Schemas.CertificateOfAnalysis {
        let d = c.disposition, s = d.signature
        return .init(
            format: c.format,
            product: .init(code: c.product.code, name: c.product.name, storageCondition: c.product.storageCondition,
                           storageMaxCelsius: c.product.storageMaxCelsius),
            lot: .init(lotNumber: c.lot.lotNumber, manufacturedOn: c.lot.manufacturedOn, expiresOn: c.lot.expiresOn, cellsPerVial: c.lot.cellsPerVial,
                       vialCount: c.lot.vialCount, status: try contract(stored: c.lot.status)),
            donorCode: c.donorCode,
            specification: c.specification.map { .init(version: $0.version, effectiveFrom: $0.effectiveFrom) },
            tests: try c.tests.map { t in
                .init(code: t.code, name: t.name, kind: try contract(stored: t.kind), unit: t.unit, min: t.min, max: t.max, expected: t.expected,
                      limit: t.limit, outcome: try contract(stored: t.outcome),
                      result: try t.result.map { r in
                          .init(id: r.id, value: r.value, numericValue: r.numericValue, textValue: r.textValue, unit: r.unit, method: r.method,
                                instrument: r.instrument, analyst: r.analyst, recordedBy: r.recordedBy, recordedAt: r.recordedAt,
                                outcome: try contract(stored: r.outcome), recordedAfterDisposition: r.recordedAfterDisposition)
                      })
            },
            corrections: c.corrections.map {
                .init(testCode: $0.testCode, testName: $0.testName, resultId: $0.resultId, supersedes: $0.supersedes, previousValue: $0.previousValue,
                      correctedValue: $0.correctedValue, reason: $0.reason, recordedBy: $0.recordedBy, recordedAt: $0.recordedAt)
            },
            disposition: .init(
                decision: try contract(stored: d.decision), kind: try contract(stored: d.kind), decidedBy: d.decidedBy,
                decidedByRole: d.decidedByRole, decidedAt: d.decidedAt, reason: d.reason, justification: d.justification,
                pendingTests: d.pendingTests, restrictedTo: d.restrictedTo,
                signature: .init(printedName: s.printedName, meaning: s.meaning, signedAt: s.signedAt, custodyEventId: s.custodyEventId,
                                 custodyEventSeq: s.custodyEventSeq, custodyEventAt: s.custodyEventAt, custodyEventHash: s.custodyEventHash,
                                 hashVerified: s.hashVerified)),
            generatedAt: c.generatedAt, generatedBy: c.generatedBy, generatedByRole: c.generatedByRole)
    }
}
