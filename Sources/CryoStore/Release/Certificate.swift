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
                SELECT l.lot_number, to_char(l.manufactured_on, 'YYYY-MM-DD'), to_char(l.expires_on, 'YYYY-MM-DD'), l.cells_per_vial, l.planned_vials,
                       l.status, l.donor_code, p.code, p.name, p.storage_condition, p.storage_max_celsius::float8,
                       l.spec_version, to_char(s.effective_from, 'YYYY-MM-DD')
                FROM lot l JOIN product p ON p.code = l.product_code
                LEFT JOIN spec_version s ON s.product_code = l.product_code AND s.version = l.spec_version
                WHERE l.lot_number = \(lotNumber)
                """, logger: logger)
                .decode((String, String, String, Int64, Int, String, String, String, String, String, Double, Int?, String?).self).all().first else {
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
            guard let row = try await conn.guardedQuery(PostgresQuery(unsafeSQL: eventSQL, binds: binds), logger: logger).decode(StoredEvent.Row.self).all().first else {
                throw DomainError.conflict(field: "lotNumber", rule: CertificateOfAnalysis.noDispositionRule)
            }
            let event = StoredEvent(row)
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
                    SELECT d.decision, d.kind, u.name, u.role, d.decided_at, d.justification, d.pending_tests, d.restricted_to
                    FROM lot_disposition d JOIN app_user u ON u.id = d.decided_by WHERE d.lot_number = \(lotNumber)
                    """, logger: logger).decode((String, String, String, String, Date, String?, [String], [String]).self).all().first else {
                    throw DomainError.conflict(field: "lotNumber", rule: "lot \(lotNumber) has a release event but no disposition on record; run audit verify")
                }
                disposition = .init(decision: d.0, kind: d.1, decidedBy: d.2, decidedByRole: d.3, decidedAt: d.4,
                                    reason: reason.isEmpty || reason == d.5 ? nil : reason, justification: d.5,
                                    pendingTests: d.6, restrictedTo: d.7, signature: signature)
            }

            var specTests: [(code: String, name: String, kind: String, unit: String?, min: Double?, max: Double?, expected: String?)] = []
            if let version = l.11 {
                specTests = try await conn.guardedQuery("""
                    SELECT code, name, kind, unit, min_value::float8, max_value::float8, expected FROM spec_test
                    WHERE product_code = \(l.7) AND version = \(version) ORDER BY code
                    """, logger: logger).decode((String, String, String, String?, Double?, Double?, String?).self).all()
                    .map { (code: $0.0, name: $0.1, kind: $0.2, unit: $0.3, min: $0.4, max: $0.5, expected: $0.6) }
            }
            let results = try await conn.guardedQuery("""
                SELECT r.id, r.test_code, r.numeric_value::float8, r.text_value, r.unit, r.method, r.instrument, r.analyst, u.name,
                       r.recorded_at, r.outcome, r.supersedes, r.correction_reason, NOT EXISTS (SELECT 1 FROM qc_result n WHERE n.supersedes = r.id)
                FROM qc_result r JOIN app_user u ON u.id = r.recorded_by WHERE r.lot_number = \(lotNumber) ORDER BY r.test_code, r.id
                """, logger: logger)
                .decode((Int64, String, Double?, String?, String?, String, String?, String, String, Date, String, Int64?, String?, Bool).self).all()

            func value(_ r: (Int64, String, Double?, String?, String?, String, String?, String, String, Date, String, Int64?, String?, Bool)) -> String {
                r.2.map(CertificateOfAnalysis.number) ?? r.3 ?? ""
            }
            let byId = Dictionary(results.map { ($0.0, $0) }, uniquingKeysWith: { a, _ in a })
            let names = Dictionary(specTests.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            let tests = specTests.map { t -> CertificateOfAnalysis.Test in
                let current = results.first { $0.1 == t.code && $0.13 }.map { r in
                    CertificateOfAnalysis.Result(id: r.0, value: value(r), numericValue: r.2, textValue: r.3, unit: r.4, method: r.5, instrument: r.6,
                                                 analyst: r.7, recordedBy: r.8, recordedAt: r.9, outcome: r.10,
                                                 recordedAfterDisposition: r.9 > disposition.decidedAt)
                }
                return .init(code: t.code, name: t.name, kind: t.kind, unit: t.unit, min: t.min, max: t.max, expected: t.expected,
                             limit: CertificateOfAnalysis.limitText(kind: t.kind, min: t.min, max: t.max, expected: t.expected, unit: t.unit),
                             outcome: current?.outcome ?? "pending", result: current)
            }
            func withUnit(_ r: (Int64, String, Double?, String?, String?, String, String?, String, String, Date, String, Int64?, String?, Bool)) -> String {
                value(r) + (r.2 != nil ? (r.4.map { " \($0)" } ?? "") : "")
            }
            let corrections = results.compactMap { r -> CertificateOfAnalysis.Correction? in
                guard let old = r.11.flatMap({ byId[$0] }) else { return nil }
                return .init(testCode: r.1, testName: names[r.1] ?? r.1, resultId: r.0, supersedes: old.0, previousValue: withUnit(old),
                             correctedValue: withUnit(r), reason: r.12 ?? "", recordedBy: r.8, recordedAt: r.9)
            }
            return CertificateOfAnalysis(
                format: CertificateOfAnalysis.formatName,
                product: .init(code: l.7, name: l.8, storageCondition: l.9, storageMaxCelsius: l.10),
                lot: .init(lotNumber: l.0, manufacturedOn: l.1, expiresOn: l.2, cellsPerVial: l.3, vialCount: l.4, status: l.5),
                donorCode: l.6,
                specification: l.11.map { .init(version: $0, effectiveFrom: l.12 ?? "") },
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
