import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The QC results form: one test's result, or its correction (which supersedes the current result and says why).
struct QcForm: Decodable, Sendable {
    var testCode: String
    var value: String?
    var method: String?
    var instrument: String?
    var analyst: String?
    var supersedes: String?
    var correctionReason: String?
}

/// QC at the bench: every test of the specification in force at the lot's manufacture, with its limit and unit,
/// the current result and its method; a form per test to record it, or to correct it with a reason.
struct QCPage: PageView {
    static let template = "qc"
    let title: String
    let lot: LotRow
    let lotNumber: String
    let manufacturedOn: String
    let version: Int?
    let effectiveFrom: String?
    let hasSpec: Bool
    let tests: [QCTestView]
    let mayRecord: Bool
    let hasHistory: Bool
    let history: [QCHistoryRow]
}

/// One test's row and form; after a refusal of this test's form, its messages and the values entered.
struct QCTestView: Sendable {
    let code: String, name: String, numeric: Bool, unit: String, limit: String, expected: String?, status: String, glyph: String
    let current: QCResultView?
    let lotNumber: String
    let entered: QcForm?
    let error: String?
    let valueError: String?, methodError: String?, analystError: String?, reasonError: String?
    var analyst: String
}

extension QCTestView {
    /// A test's row with nothing entered (the release review's table).
    init(row: QcRow, lotNumber: String, analyst: String) {
        self.init(code: row.test.code, name: row.test.name, numeric: row.test.kind == "numeric", unit: row.test.unit ?? "—", limit: row.limit,
                  expected: row.test.expected, status: row.status, glyph: row.glyph, current: row.current.map(Console.resultView),
                  lotNumber: lotNumber, entered: nil, error: nil, valueError: nil, methodError: nil, analystError: nil, reasonError: nil,
                  analyst: analyst)
    }
}

struct QCResultView: Sendable {
    let id: Int64, value: String, method: String, instrument: String?, analyst: String, recordedBy: String, recordedAt: String
}

struct QCHistoryRow: Sendable {
    let id: Int64, test: String, value: String, outcome: String, method: String, instrument: String?, analyst: String
    let recordedBy: String, recordedAt: String, supersedes: Int64?, reason: String?, current: Bool
}

extension Console {
    /// The fields of a test's form, by the names the Store's refusals use, with the id of the input on the page.
    static func qcFields(_ code: String) -> [String: String] {
        ["value": "value-\(code)", "numericValue": "value-\(code)", "textValue": "value-\(code)", "method": "method-\(code)",
         "instrument": "instrument-\(code)", "analyst": "analyst-\(code)", "correctionReason": "reason-\(code)", "supersedes": "value-\(code)"]
    }

    /// `done`: the result just recorded (a test code), confirmed when the test has a current result.
    func qcPage(_ number: String, refused: (form: QcForm, refusal: Refusal)? = nil, status: HTTPResponse.Status = .ok,
                done: String? = nil) async throws -> Response {
        let user = try signedIn()
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
        let results = try await store.qcResults(lotNumber: number, actor: user, logger: logger)
        let names = Dictionary(spec.tests.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let tests = QcRow.rows(spec: spec, results: results).map { row in
            let mine = refused?.form.testCode == row.test.code ? refused : nil
            func at(_ field: String) -> String? { mine?.refusal.message(atAnchor: "\(field)-\(row.test.code)") }
            return QCTestView(code: row.test.code, name: row.test.name, numeric: row.test.kind == "numeric", unit: row.test.unit ?? "—",
                              limit: row.limit, expected: row.test.expected, status: row.status, glyph: row.glyph,
                              current: row.current.map(Self.resultView), lotNumber: number, entered: mine?.form,
                              error: mine?.refusal.items.first?.message, valueError: at("value"), methodError: at("method"),
                              analystError: at("analyst"), reasonError: at("reason"), analyst: mine?.form.analyst ?? user.name)
        }
        let view = QCPage(
            title: "QC results · lot \(number)", lot: LotRow(lot), lotNumber: number, manufacturedOn: lot.manufacturedOn,
            version: spec.version, effectiveFrom: spec.effectiveFrom, hasSpec: spec.version != nil, tests: tests,
            mayRecord: user.role.may(.recordQc), hasHistory: !results.isEmpty,
            history: results.map { r in
                QCHistoryRow(id: r.id, test: names[r.testCode] ?? r.testCode, value: QcRow.value(r), outcome: r.outcome, method: r.method,
                             instrument: r.instrument, analyst: r.analyst, recordedBy: r.recordedBy, recordedAt: Self.timestamp(r.recordedAt),
                             supersedes: r.supersedes, reason: r.correctionReason, current: r.current)
            })
        let recorded = tests.first { $0.code == done && $0.current != nil }.map { "✓ Result recorded for \($0.name): \($0.current?.value ?? ""), \($0.status)" }
        return try render(view, status: status, refusal: refused?.refusal, confirmation: recorded)
    }

    static func resultView(_ r: QcResultRecord) -> QCResultView {
        QCResultView(id: r.id, value: QcRow.value(r), method: r.method, instrument: r.instrument, analyst: r.analyst,
                     recordedBy: r.recordedBy, recordedAt: timestamp(r.recordedAt))
    }

    /// Records one result (or a correction that supersedes the current one) through the Store, as the API does.
    func recordQc(_ number: String, _ form: QcForm) async throws -> Response {
        let user = try signedIn()
        let test = form.testCode
        do {
            let spec = try await store.lotSpecification(lotNumber: number, actor: user, logger: logger)
            let kind = spec.tests.first { $0.code == test }?.kind
            let text = (form.value ?? "").trimmingCharacters(in: .whitespaces)
            var numeric: Double?
            if kind == "numeric", !text.isEmpty {
                guard let n = Double(text), n.isFinite else {
                    throw DomainError.invalid(field: "numericValue", rule: "\(test) is a numeric test: give a number, e.g. 88.5 (a point for decimals, no thousands separator)")
                }
                numeric = n
            }
            _ = try await store.recordQcResult(lotNumber: number, QcResultInput(
                testCode: test, numericValue: numeric, textValue: kind == "numeric" || text.isEmpty ? nil : text, unit: nil,
                method: form.method ?? "", instrument: form.instrument?.nonEmpty, analyst: form.analyst ?? "",
                supersedes: form.supersedes?.nonEmpty.flatMap { Int64($0) }, correctionReason: form.correctionReason?.nonEmpty),
                actor: user, logger: logger)
            return Response.redirect(to: "/console/lots/\(number)/qc?\(Confirmation.qcRecorded.query(about: test))#test-\(test)",
                                     type: .normal)
        } catch let error as DomainError {
            if case .notFound(let kind, _) = error, kind == "lot" { throw error }
            return try await qcPage(number, refused: (form, Refusal(error, fields: Self.qcFields(test), form: test)),
                                    status: HTTPResponse.Status(code: error.httpStatus))
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
}
