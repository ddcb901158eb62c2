import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// QC at the bench: every test of the specification in force at the lot's manufacture, with its limit and
    /// unit, the current result and its method; a form per test to record it, or to correct it with a reason.
    func qcPage(_ number: String, refusal: (test: String, message: String)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
        let results = try await store.qcResults(lotNumber: number, actor: user, logger: logger)
        let names = Dictionary(spec.tests.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let tests = QcRow.rows(spec: spec, results: results).map { row -> [String: Any] in
            var r = row.context
            if refusal?.test == row.test.code { r["error"] = refusal?.message }
            return r
        }
        return try page("qc", title: "QC results · lot \(number)", [
            "lot": LotRow(lot), "lotNumber": number, "manufacturedOn": lot.manufacturedOn,
            "version": spec.version as Any, "effectiveFrom": spec.effectiveFrom as Any, "hasSpec": spec.version != nil,
            "tests": tests, "mayRecord": user.role.may(.recordQc), "analyst": user.name,
            "hasHistory": !results.isEmpty,
            "history": results.map { r in
                ["id": r.id, "test": names[r.testCode] ?? r.testCode, "value": QcRow.value(r), "outcome": r.outcome, "method": r.method,
                 "instrument": r.instrument as Any, "analyst": r.analyst, "recordedBy": r.recordedBy, "recordedAt": Self.timestamp(r.recordedAt),
                 "supersedes": r.supersedes as Any, "reason": r.correctionReason as Any, "current": r.current] as [String: Any]
            },
        ], status: status)
    }

    /// Records one result (or a correction that supersedes the current one) through the Store, as the API does.
    func recordQc(_ number: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let test = form["testCode"] ?? ""
        do {
            let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
            let kind = spec.tests.first { $0.code == test }?.kind
            let text = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
            var numeric: Double?
            if kind == "numeric", !text.isEmpty {
                guard let n = Double(text), n.isFinite else {
                    throw DomainError.invalid(field: "numericValue", rule: "\(test) is a numeric test: give a number, e.g. 88.5 (a point for decimals, no thousands separator)")
                }
                numeric = n
            }
            func optional(_ key: String) -> String? { form[key].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
            let supersedes = optional("supersedes").flatMap { Int64($0) }
            _ = try await store.recordQcResult(lotNumber: number, QcResultInput(
                testCode: test, numericValue: numeric, textValue: kind == "numeric" || text.isEmpty ? nil : text, unit: nil,
                method: form["method"] ?? "", instrument: optional("instrument"), analyst: form["analyst"] ?? "",
                supersedes: supersedes, correctionReason: optional("correctionReason")), actor: user, logger: logger)
            return Response.redirect(to: "/console/lots/\(number)/qc#test-\(test)", type: .normal)
        } catch let error as DomainError {
            if case .notFound(let kind, _) = error, kind == "lot" { throw error }
            return try await qcPage(number, refusal: (test, error.description), status: Self.status(of: error))
        }
    }

    /// The HTTP status of a refusal shown next to its form.
    static func status(of error: DomainError) -> HTTPResponse.Status {
        switch error {
        case .notFound: .notFound
        case .forbidden, .forbiddenOperation: .forbidden
        case .conflict: .conflict
        case .unauthenticated, .signatureRejected: .unauthorized
        case .invalid: .badRequest
        }
    }
}

/// One test of a lot's specification with its current result: pass, fail, or missing (never colour alone: a glyph too).
struct QcRow {
    let test: SpecTest
    let current: QcResultRecord?

    var status: String { current?.outcome ?? "missing" }
    var glyph: String { ["pass": "✓", "fail": "✕"][status] ?? "?" }
    var limit: String { CertificateOfAnalysis.limitText(kind: test.kind, min: test.min, max: test.max, expected: test.expected, unit: test.unit) }

    static func rows(spec: LotSpecification, results: [QcResultRecord]) -> [QcRow] {
        spec.tests.map { t in QcRow(test: t, current: results.first { $0.testCode == t.code && $0.current }) }
    }

    static func value(_ r: QcResultRecord) -> String {
        r.numericValue.map { CertificateOfAnalysis.number($0) + (r.unit.map { " \($0)" } ?? "") } ?? r.textValue ?? ""
    }

    var context: [String: Any] {
        ["code": test.code, "name": test.name, "numeric": test.kind == "numeric", "unit": test.unit ?? "—", "limit": limit,
         "expected": test.expected as Any, "status": status, "glyph": glyph,
         "current": current.map { r in
             ["id": r.id, "value": Self.value(r), "method": r.method, "instrument": r.instrument as Any, "analyst": r.analyst,
              "recordedBy": r.recordedBy, "recordedAt": Console.timestamp(r.recordedAt)] as [String: Any]
         } as Any]
    }
}
