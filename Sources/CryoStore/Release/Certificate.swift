import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// The certificate of analysis of a dispositioned (released or rejected) lot; readable by every role that reads inventory.
    /// Read in one repeatable-read snapshot, so the results, the disposition and the signature belong together.
    public func certificateOfAnalysis(lotNumber: String, actor: Principal, logger: Logger) async throws -> CertificateOfAnalysis {
        try actor.require(.readInventory)
        let generatedAt = Date()
        return try await transaction(logger) { conn in
            try await conn.guardedQuery("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            guard let l = try await conn.guardedQuery("""
                SELECT l.lot_number, to_char(l.manufactured_on, 'YYYY-MM-DD') AS manufactured_on, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on,
                       l.cells_per_vial, l.planned_vials, l.status, l.donor_code, p.code AS product_code, p.name AS product_name,
                       p.storage_condition, p.storage_max_celsius::float8 AS storage_max_celsius,
                       l.spec_version, to_char(s.effective_from, 'YYYY-MM-DD') AS effective_from
                FROM lot l JOIN product p ON p.code = l.product_code
                LEFT JOIN spec_version s ON s.product_code = l.product_code AND s.version = l.spec_version
                WHERE l.lot_number = \(lotNumber)
                """, logger: logger).named({ c in
                    (lotNumber: try c("lot_number", as: String.self), manufacturedOn: try c("manufactured_on", as: String.self),
                     expiresOn: try c("expires_on", as: String.self), cellsPerVial: try c("cells_per_vial", as: Int64.self),
                     vialCount: try c("planned_vials", as: Int.self), status: try c("status", as: String.self), donorCode: try c("donor_code", as: String.self),
                     productCode: try c("product_code", as: String.self), productName: try c("product_name", as: String.self),
                     storageCondition: try c("storage_condition", as: String.self), storageMaxCelsius: try c("storage_max_celsius", as: Double.self),
                     specVersion: try c("spec_version", as: Int?.self), effectiveFrom: try c("effective_from", as: String?.self))
                }).first else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }

            // The disposition is the lot's latest signed QA decision: a release (with its lot_disposition row) or a rejection.
            let eventSQL = """
                SELECT \(StoredEvent.selectList) FROM custody_event
                WHERE subject_type = 'lot' AND subject_id = $1 AND signature IS NOT NULL
                  AND (action = 'lot.released' OR to_state = 'rejected')
                ORDER BY seq DESC LIMIT 1
                """
            var binds = PostgresBindings()
            binds.append(lotNumber)
            guard let event = try await conn.guardedQuery(PostgresQuery(unsafeSQL: eventSQL, binds: binds), logger: logger).named(StoredEvent.init).first else {
                throw DomainError.conflict(field: "lotNumber", rule: CertificateOfAnalysis.noDispositionRule)
            }
            let eventAt = try await conn.guardedQuery("SELECT occurred_at FROM custody_event WHERE id = \(event.id)", logger: logger).decode(Date.self).all().first!
            let (actorName, actorRole, toState, reason, signatureText) = (event.fields[5], event.fields[6], event.fields[9], event.fields[12], event.fields[14])
            guard let sig = try? JSONSerialization.jsonObject(with: Data(signatureText.utf8)) as? [String: Any],
                  let printedName = sig["printedName"] as? String, let meaning = sig["meaning"] as? String,
                  let signedAt = (sig["signedAt"] as? String).flatMap(Self.parseTimestamp) else {
                throw DomainError.conflict(field: "signature", rule: "the signature of custody event \(event.id) cannot be read; run audit verify")
            }
            let signature = CertificateOfAnalysis.Signature(
                printedName: printedName, meaning: meaning, signedAt: signedAt, custodyEventId: event.id, custodyEventSeq: event.seq,
                custodyEventAt: eventAt, custodyEventHash: event.hash.hex, hashVerified: event.recomputedHash == event.hash)

            let disposition: CertificateOfAnalysis.Disposition
            if toState == "rejected" {
                disposition = .init(decision: "rejected", kind: "standard", decidedBy: actorName, decidedByRole: actorRole, decidedAt: eventAt,
                                    reason: reason.isEmpty ? nil : reason, justification: nil, pendingTests: [], restrictedTo: [], signature: signature)
            } else {
                guard let d = try await conn.guardedQuery("""
                    SELECT d.decision, d.kind, u.name AS decided_by, u.role AS decided_by_role, d.decided_at, d.justification, d.pending_tests, d.restricted_to
                    FROM lot_disposition d JOIN app_user u ON u.id = d.decided_by WHERE d.lot_number = \(lotNumber)
                    """, logger: logger).named({ $0 }).first else {
                    throw DomainError.conflict(field: "lotNumber", rule: "lot \(lotNumber) has a release event but no disposition on record; run audit verify")
                }
                let justification: String? = try d("justification")
                disposition = .init(decision: try d("decision"), kind: try d("kind"), decidedBy: try d("decided_by"), decidedByRole: try d("decided_by_role"),
                                    decidedAt: try d("decided_at"), reason: reason.isEmpty || reason == justification ? nil : reason, justification: justification,
                                    pendingTests: try d("pending_tests"), restrictedTo: try d("restricted_to"), signature: signature)
            }

            var specTests: [(code: String, name: String, kind: String, unit: String?, min: Double?, max: Double?, expected: String?)] = []
            if let version = l.specVersion {
                specTests = try await conn.guardedQuery("""
                    SELECT code, name, kind, unit, min_value::float8 AS min_value, max_value::float8 AS max_value, expected FROM spec_test
                    WHERE product_code = \(l.productCode) AND version = \(version) ORDER BY code
                    """, logger: logger).named { c in
                    (code: try c("code"), name: try c("name"), kind: try c("kind"), unit: try c("unit"), min: try c("min_value"),
                     max: try c("max_value"), expected: try c("expected"))
                }
            }
            let results = try await Self.qcResultRecords(lotNumber, on: conn, logger: logger)

            func value(_ r: QcResultRecord) -> String {
                r.numericValue.map(CertificateOfAnalysis.number) ?? r.textValue ?? ""
            }
            let byId = Dictionary(results.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let names = Dictionary(specTests.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            let tests = specTests.map { t -> CertificateOfAnalysis.Test in
                let current = results.first { $0.testCode == t.code && $0.current }.map { r in
                    CertificateOfAnalysis.Result(id: r.id, value: value(r), numericValue: r.numericValue, textValue: r.textValue, unit: r.unit,
                                                 method: r.method, instrument: r.instrument, analyst: r.analyst, recordedBy: r.recordedBy,
                                                 recordedAt: r.recordedAt, outcome: r.outcome, recordedAfterDisposition: r.recordedAt > disposition.decidedAt)
                }
                return .init(code: t.code, name: t.name, kind: t.kind, unit: t.unit, min: t.min, max: t.max, expected: t.expected,
                             limit: CertificateOfAnalysis.limitText(kind: t.kind, min: t.min, max: t.max, expected: t.expected, unit: t.unit),
                             outcome: current?.outcome ?? "pending", result: current)
            }
            func withUnit(_ r: QcResultRecord) -> String {
                value(r) + (r.numericValue != nil ? (r.unit.map { " \($0)" } ?? "") : "")
            }
            let corrections = results.compactMap { r -> CertificateOfAnalysis.Correction? in
                guard let old = r.supersedes.flatMap({ byId[$0] }) else { return nil }
                return .init(testCode: r.testCode, testName: names[r.testCode] ?? r.testCode, resultId: r.id, supersedes: old.id, previousValue: withUnit(old),
                             correctedValue: withUnit(r), reason: r.correctionReason ?? "", recordedBy: r.recordedBy, recordedAt: r.recordedAt)
            }
            return CertificateOfAnalysis(
                format: CertificateOfAnalysis.formatName,
                product: .init(code: l.productCode, name: l.productName, storageCondition: l.storageCondition, storageMaxCelsius: l.storageMaxCelsius),
                lot: .init(lotNumber: l.lotNumber, manufacturedOn: l.manufacturedOn, expiresOn: l.expiresOn, cellsPerVial: l.cellsPerVial,
                           vialCount: l.vialCount, status: l.status),
                donorCode: l.donorCode,
                specification: l.specVersion.map { .init(version: $0, effectiveFrom: l.effectiveFrom ?? "") },
                tests: tests, corrections: corrections, disposition: disposition,
                generatedAt: generatedAt, generatedBy: actor.name, generatedByRole: actor.role.rawValue)
        }
    }

    /// ISO 8601 with or without fractional seconds, as the signature JSON records it.
    static func parseTimestamp(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
