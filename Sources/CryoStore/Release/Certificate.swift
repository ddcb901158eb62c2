import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// A certificate of analysis (CoA): what QA decided about a lot and the evidence it decided on.
/// Product, lot, coded donor id (nothing else about the donor), the specification version the lot was
/// judged against, each specified test with its limit and current result, the corrections on record,
/// and the disposition with its electronic signature, bound to the signed custody event by its hash.
public struct CertificateOfAnalysis: Sendable, Codable, Equatable {
    public struct Product: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var storageCondition: String
        public var storageMaxCelsius: Double
    }

    public struct Lot: Sendable, Codable, Equatable {
        public var lotNumber: String
        public var manufacturedOn: String
        public var expiresOn: String
        public var cellsPerVial: Int64
        public var vialCount: Int
        /// The lot's status when the certificate was generated (it may have moved on since the disposition: hold, recall, expiry).
        public var status: String
    }

    public struct Specification: Sendable, Codable, Equatable {
        public var version: Int
        public var effectiveFrom: String
    }

    public struct Result: Sendable, Codable, Equatable {
        public var id: Int64
        /// The value as printed: a number without trailing zeros, or the qualitative result.
        public var value: String
        public var numericValue: Double?
        public var textValue: String?
        public var unit: String?
        public var method: String
        public var instrument: String?
        public var analyst: String
        /// The user who entered the result.
        public var recordedBy: String
        public var recordedAt: Date
        /// pass or fail, as evaluated against the specification when recorded.
        public var outcome: String
        /// True when the result was recorded after the disposition (e.g. a pending test completed during a hold).
        public var recordedAfterDisposition: Bool
    }

    public struct Test: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// numeric or qualitative
        public var kind: String
        public var unit: String?
        public var min: Double?
        public var max: Double?
        public var expected: String?
        /// The limit as printed, e.g. "≥ 70 %", "≤ 5 EU/mL", "0.5 – 5 copies/cell", "no growth".
        public var limit: String
        /// pass or fail (of the current result), or pending when no result is on record.
        public var outcome: String
        /// The current result: the one no later correction supersedes.
        public var result: Result?
    }

    /// A result that superseded an earlier one; both stay on record.
    public struct Correction: Sendable, Codable, Equatable {
        public var testCode: String
        public var testName: String
        public var resultId: Int64
        public var supersedes: Int64
        public var previousValue: String
        public var correctedValue: String
        public var reason: String
        public var recordedBy: String
        public var recordedAt: Date
    }

    /// The manifestation of the electronic signature (21 CFR 11.50) and the custody event that carries it.
    public struct Signature: Sendable, Codable, Equatable {
        public var printedName: String
        public var meaning: String
        public var signedAt: Date
        public var custodyEventId: Int64
        public var custodyEventSeq: Int64
        public var custodyEventAt: Date
        /// SHA-256 of the custody event (hex), as chained in the audit trail.
        public var custodyEventHash: String
        /// The event's hash recomputed from its stored fields when the certificate was generated matches the stored hash.
        public var hashVerified: Bool
    }

    public struct Disposition: Sendable, Codable, Equatable {
        /// released or rejected
        public var decision: String
        /// standard, conditional or out-of-specification
        public var kind: String
        public var decidedBy: String
        public var decidedByRole: String
        public var decidedAt: Date
        public var reason: String?
        public var justification: String?
        /// Conditional release: the tests still pending when QA released.
        public var pendingTests: [String]
        /// Out-of-specification release: the coded subject ids of the only patients the lot may go to.
        public var restrictedTo: [String]
        public var signature: Signature
    }

    public var format: String
    public var product: Product
    public var lot: Lot
    /// The donor's coded id; a certificate carries nothing else about the donor.
    public var donorCode: String
    /// The specification version in force at manufacture; nil when none was (such a lot can only be rejected).
    public var specification: Specification?
    public var tests: [Test]
    public var corrections: [Correction]
    public var disposition: Disposition
    public var generatedAt: Date
    public var generatedBy: String
    public var generatedByRole: String

    public static let formatName = "cryoledger.certificate-of-analysis/v1"
    public static let noDispositionRule = "no QA disposition yet; a certificate of analysis is issued after release or rejection"

    /// "≥ 70 %", "≤ 5 EU/mL", "0.5 – 5 copies/cell", or the expected qualitative result.
    public static func limitText(kind: String, min: Double?, max: Double?, expected: String?, unit: String?) -> String {
        if kind == "qualitative" { return expected ?? "" }
        let u = unit.map { " \($0)" } ?? ""
        switch (min, max) {
        case let (lo?, hi?) where lo == hi: return "= \(number(lo))\(u)"
        case let (lo?, hi?): return "\(number(lo)) – \(number(hi))\(u)"
        case let (lo?, nil): return "≥ \(number(lo))\(u)"
        case let (nil, hi?): return "≤ \(number(hi))\(u)"
        case (nil, nil): return ""
        }
    }

    /// A number as a person writes it: no exponent, no trailing zeros, up to six decimals.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var s = String(format: "%.6f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

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
