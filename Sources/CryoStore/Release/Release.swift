import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Records a QC result (qc role) and evaluates it against the lot's specification version.
    public func recordQcResult(lotNumber: String, _ input: QcResultInput, actor: Principal, logger: Logger) async throws -> QcResultRecord {
        try actor.require(.recordQc)
        let v = Validator()
        try v.require(!input.method.trimmingCharacters(in: .whitespaces).isEmpty, "method", "name the test method")
        try v.require(!input.analyst.trimmingCharacters(in: .whitespaces).isEmpty, "analyst", "name the analyst")
        try v.require(input.numericValue != nil || input.textValue != nil, "value", "give a numeric value or a text result")
        try v.require((input.supersedes == nil) == (input.correctionReason?.isEmpty ?? true), "correctionReason",
                      "a correction names the result it supersedes and gives a reason; a first result has neither")
        let id: Int64 = try await transaction(logger) { conn in
            guard let (status, product, version) = try await conn.guardedQuery("""
                SELECT status, product_code, spec_version FROM lot WHERE lot_number = \(lotNumber) FOR SHARE
                """, logger: logger).decode((String, String, Int?).self).all().first else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }
            // After a conditional release the pending tests are still recorded: administration waits for them.
            let pending = try await conn.guardedQuery("""
                SELECT coalesce((SELECT pending_tests FROM lot_disposition WHERE lot_number = \(lotNumber) AND kind = 'conditional'), '{}')
                """, logger: logger).decode([String].self).all().first ?? []
            guard status == LotStatus.quarantine.rawValue || status == LotStatus.inProcess.rawValue || status == LotStatus.onHold.rawValue
                    || pending.contains(input.testCode) else {
                throw DomainError.conflict(field: "lotNumber", rule: "QC results are recorded before disposition (or for a conditional release's pending tests); lot \(lotNumber) is \(status)")
            }
            guard let version else { throw DomainError.conflict(field: "lotNumber", rule: "lot \(lotNumber) has no specification in force at its manufacture") }
            guard let spec = try await conn.guardedQuery("""
                SELECT kind, min_value::float8 AS min_value, max_value::float8 AS max_value, expected, unit FROM spec_test
                WHERE product_code = \(product) AND version = \(version) AND code = \(input.testCode)
                """, logger: logger).named({ c in
                (kind: try c("kind", as: String.self), min: try c("min_value", as: Double?.self), max: try c("max_value", as: Double?.self),
                 expected: try c("expected", as: String?.self), unit: try c("unit", as: String?.self))
            }).first else {
                throw DomainError.invalid(field: "testCode", rule: "'\(input.testCode)' is not a test of \(product) specification v\(version)")
            }
            let outcome: String
            if spec.kind == "numeric" {
                guard let value = input.numericValue else { throw DomainError.invalid(field: "numericValue", rule: "\(input.testCode) is a numeric test") }
                if let unit = spec.unit, let given = input.unit, given != unit {
                    throw DomainError.invalid(field: "unit", rule: "\(input.testCode) is specified in \(unit)")
                }
                outcome = (spec.min.map { value >= $0 } ?? true) && (spec.max.map { value <= $0 } ?? true) ? "pass" : "fail"
            } else {
                guard let text = input.textValue else { throw DomainError.invalid(field: "textValue", rule: "\(input.testCode) is a qualitative test") }
                outcome = text.trimmingCharacters(in: .whitespaces).lowercased() == spec.expected?.lowercased() ? "pass" : "fail"
            }
            if let old = input.supersedes {
                guard try await conn.guardedQuery("SELECT 1 FROM qc_current WHERE id = \(old) AND lot_number = \(lotNumber) AND test_code = \(input.testCode)", logger: logger)
                    .decode(Int.self).all().first != nil else {
                    throw DomainError.invalid(field: "supersedes", rule: "must be the current result of \(input.testCode) for lot \(lotNumber)")
                }
            }
            let id = try await conn.guardedQuery("""
                INSERT INTO qc_result (lot_number, product_code, spec_version, test_code, numeric_value, text_value, unit, method, instrument,
                                       analyst, recorded_by, outcome, supersedes, correction_reason)
                VALUES (\(lotNumber), \(product), \(version), \(input.testCode), \(input.numericValue)::numeric, \(input.textValue), \(input.unit ?? spec.unit),
                        \(input.method), \(input.instrument), \(input.analyst), \(actor.id), \(outcome), \(input.supersedes), \(input.correctionReason))
                RETURNING id
                """, logger: logger).decode(Int64.self).all().first!
            let value = input.numericValue.map { String($0) } ?? input.textValue ?? ""
            try await Custody.append(CustodyEntry(subjectType: "lot", subjectId: lotNumber, action: input.supersedes == nil ? "qc.recorded" : "qc.corrected",
                                                  reason: input.correctionReason,
                                                  details: ["test": input.testCode, "value": value, "outcome": outcome, "resultId": String(id),
                                                            "analyst": input.analyst, "method": input.method]),
                                     by: actor, on: conn, logger: logger)
            return id
        }
        return try await qcResults(lotNumber: lotNumber, actor: actor, logger: logger).first { $0.id == id }!
    }

    public func qcResults(lotNumber: String, actor: Principal, logger: Logger) async throws -> [QcResultRecord] {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM lot WHERE lot_number = \(lotNumber)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }
            return try await Self.qcResultRecords(lotNumber, on: conn, logger: logger)
        }
    }

    /// The lot's QC results, oldest first per test, each marked current unless a later one supersedes it.
    static func qcResultRecords(_ lotNumber: String, on conn: PostgresConnection, logger: Logger) async throws -> [QcResultRecord] {
            try await conn.guardedQuery("""
                SELECT r.id, r.lot_number, r.test_code, r.numeric_value::float8 AS numeric_value, r.text_value, r.unit, r.method, r.instrument,
                       r.analyst, u.name AS recorded_by, r.recorded_at, r.outcome, r.supersedes, r.correction_reason,
                       NOT EXISTS (SELECT 1 FROM qc_result n WHERE n.supersedes = r.id) AS current
                FROM qc_result r JOIN app_user u ON u.id = r.recorded_by WHERE r.lot_number = \(lotNumber) ORDER BY r.test_code, r.id
                """, logger: logger).named { c in
                    QcResultRecord(id: try c("id"), lotNumber: try c("lot_number"), testCode: try c("test_code"), numericValue: try c("numeric_value"),
                                   textValue: try c("text_value"), unit: try c("unit"), method: try c("method"), instrument: try c("instrument"),
                                   analyst: try c("analyst"), recordedBy: try c("recorded_by"), recordedAt: try c("recorded_at"), outcome: try c("outcome"),
                                   supersedes: try c("supersedes"), correctionReason: try c("correction_reason"), current: try c("current"))
                }
    }

    /// QA release, an electronic signature. The database refuses it unless every specified test has a
    /// passing current result (conditional: named tests may be pending; out-of-specification: justified,
    /// for named patients only), and unless the signer recorded none of the lot's results.
    public func releaseLot(number: String, kind: ReleaseKind, justification: String?, pendingTests: [String], restrictedTo: [String],
                           reason: String?, signature: SignatureInput?, actor: Principal, logger: Logger) async throws -> LotRecord {
        try actor.require(.dispositionLot)
        let v = Validator()
        switch kind {
        case .standard:
            try v.require(pendingTests.isEmpty && restrictedTo.isEmpty && justification == nil, "kind", "a standard release has no pending tests, patient restriction or OOS justification")
        case .conditional:
            try v.require(!pendingTests.isEmpty, "pendingTests", "a conditional release names the tests still pending")
        case .outOfSpecification:
            try v.require(!(justification?.trimmingCharacters(in: .whitespaces).isEmpty ?? true), "justification", "an out-of-specification release needs a signed justification")
            try v.require(!restrictedTo.isEmpty, "restrictedTo", "an out-of-specification release is for named patients only")
        }
        let signed = try await verifySignature(signature, actor: actor, logger: logger)
        try await transaction(logger) { conn in
            guard let status = try await conn.guardedQuery("SELECT status FROM lot WHERE lot_number = \(number) FOR UPDATE", logger: logger)
                .decode(String.self).all().first else { throw DomainError.notFound(kind: "lot", id: number) }
            guard status == LotStatus.quarantine.rawValue else {
                throw DomainError.illegalTransition("lot", from: status, to: "released", allowed: try LotStatus(stored: status).successors.map(\.rawValue))
            }
            try await conn.guardedQuery("""
                INSERT INTO lot_disposition (lot_number, decision, kind, decided_by, justification, pending_tests, restricted_to)
                VALUES (\(number), 'released', \(kind.rawValue), \(actor.id), \(justification), \(pendingTests)::text[], \(restrictedTo)::text[])
                """, logger: logger)
            try await Self.changeLotStatus([number], to: .released, on: conn, logger: logger)
            var details = ["kind": kind.rawValue]
            if !pendingTests.isEmpty { details["pendingTests"] = pendingTests.joined(separator: ",") }
            if !restrictedTo.isEmpty { details["restrictedTo"] = restrictedTo.joined(separator: ",") }
            if let justification { details["justification"] = justification }
            try await Custody.append(CustodyEntry(subjectType: "lot", subjectId: number, action: "lot.released", fromState: status, toState: "released",
                                                  reason: reason ?? justification, details: details, signature: signed),
                                     by: actor, on: conn, logger: logger)
        }
        return try await lot(number: number, actor: actor, logger: logger)
    }
}
