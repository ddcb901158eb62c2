// The values custody operations take and return; the operations are in ../Custody/.
import CryoDomain
import Foundation
import PostgresNIO

/// What verification found. `intact` is true only when no problem was found.
public struct VerificationReport: Sendable, Codable, Equatable {
    public struct Problem: Sendable, Codable, Equatable {
        /// edited, forged, missing, out-of-order, head-mismatch, checkpoint-mismatch, seal-invalid
        public var kind: String
        public var eventId: Int64?
        public var subject: String?
        public var detail: String
    }
    public var intact: Bool
    public var eventsChecked: Int
    public var subjectsChecked: Int
    public var checkpointsChecked: Int
    /// The fold of every event hash in id order: the head of the whole log.
    public var chainHead: String
    public var problems: [Problem]
}

public struct CustodyEventRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var subjectType: String
    public var subjectId: String
    public var seq: Int64
    public var action: String
    public var actorName: String
    public var actorRole: String
    public var occurredAt: Date
    public var fromState: String?
    public var toState: String?
    public var fromLocation: String?
    public var toLocation: String?
    public var reason: String?
    public var details: String
    /// The manifestation of the electronic signature of a signing step (printed name, meaning, time).
    public var signature: SignatureManifestation?
    public var hash: String
}

/// Which events a custody report covers. Lineage is followed: a donor brings its lots, a lot its vials.
public enum ExportScope: Sendable, Equatable {
    case vial(String)
    case lot(String)
    case donor(String)
    case patient(String)
    case period(from: CalendarDay, to: CalendarDay)

    public var description: String {
        switch self {
        case .vial(let id): return "vial \(id)"
        case .lot(let n): return "lot \(n), its vials and the patients they were reserved for"
        case .donor(let c): return "donor \(c), its lots, their vials and the patients they were reserved for"
        case .patient(let p): return "patient \(p), its allocations and every vial reserved for it"
        case .period(let from, let to): return "all events from \(from) to \(to) (UTC, inclusive)"
        }
    }

    /// The WHERE clause over custody_event `e`, with its binds.
    var condition: (String, PostgresBindings) {
        var b = PostgresBindings()
        switch self {
        case .vial(let id):
            b.append(id)
            return ("e.subject_type = 'vial' AND e.subject_id = $1", b)
        case .lot(let n):
            b.append(n)
            return ("""
                (e.subject_type = 'lot' AND e.subject_id = $1)
                OR (e.subject_type = 'vial' AND e.subject_id IN (SELECT id FROM vial WHERE lot_number = $1))
                OR (e.subject_type = 'patient' AND e.subject_id IN (\(Self.patientsOf("v.lot_number = $1"))))
                """, b)
        case .donor(let c):
            b.append(c)
            return ("""
                (e.subject_type = 'donor' AND e.subject_id = $1)
                OR (e.subject_type = 'lot' AND e.subject_id IN (SELECT lot_number FROM lot WHERE donor_code = $1))
                OR (e.subject_type = 'vial' AND e.subject_id IN (SELECT v.id FROM vial v JOIN lot l ON l.lot_number = v.lot_number WHERE l.donor_code = $1))
                OR (e.subject_type = 'patient' AND e.subject_id IN (\(Self.patientsOf("v.lot_number IN (SELECT lot_number FROM lot WHERE donor_code = $1)"))))
                """, b)
        case .patient(let p):
            b.append(p)
            return ("""
                (e.subject_type = 'patient' AND e.subject_id = $1)
                OR (e.subject_type = 'vial' AND e.subject_id IN (SELECT vial_id FROM reservation WHERE subject_id = $1))
                OR (e.subject_type = 'allocation' AND e.subject_id IN (SELECT id::text FROM allocation WHERE subject_id = $1))
                """, b)
        case .period(let from, let to):
            b.append(from.description)
            b.append(to.description)
            return ("e.occurred_at >= $1::date AND e.occurred_at < $2::date + 1", b)
        }
    }

    /// A subject's history in chain order; a period in the order events were written.
    var order: String {
        if case .period = self { return "e.id" }
        return "e.subject_type, e.subject_id, e.seq"
    }
}

/// One exported event: readable columns, and the hashed fields so the export can be re-verified offline.
public struct ExportedEvent: Sendable, Codable {
    public var id: Int64
    public var subjectType: String
    public var subjectId: String
    public var seq: Int64
    public var action: String
    public var actorName: String
    public var actorRole: String
    public var occurredAt: String
    public var fromState: String
    public var toState: String
    public var fromLocation: String
    public var toLocation: String
    public var reason: String
    public var details: String
    public var signature: String
    /// The exact fields hashed, joined by U+001F, in order (see custody_event_digest).
    public var hashedFields: [String]
    public var prevHash: String
    public var hash: String
    /// The event's leaf in the export's signed tree head (exports cut against a head only).
    public var inclusion: InclusionProof? = nil

    init(_ e: StoredEvent) {
        let f = e.fields
        id = e.id; subjectType = f[0]; subjectId = f[1]; seq = e.seq; action = f[3]
        actorName = f[5]; actorRole = f[6]; occurredAt = f[7]; fromState = f[8]; toState = f[9]
        fromLocation = f[10]; toLocation = f[11]; reason = f[12]; details = f[13]; signature = f[14]
        hashedFields = f; prevHash = e.prevHash.hex; hash = e.hash.hex
    }

    /// The signature's manifestation (printed name, meaning, time), when the event is a signing step.
    public var signatureManifestation: SignatureManifestation? { SignatureManifestation(json: signature) }
}

/// What a custody event records of an electronic signature (21 CFR 11.50).
public struct SignatureManifestation: Sendable, Codable, Equatable {
    public var printedName: String
    public var meaning: String
    /// ISO 8601, UTC, as recorded when the signature was executed.
    public var signedAt: String

    /// From the event's `signature` column (JSON text); nil when empty or not a signature.
    public init?(json: String?) {
        guard let json, !json.isEmpty, let value = try? JSONDecoder().decode(SignatureManifestation.self, from: Data(json.utf8)) else { return nil }
        self = value
    }
}

/// One subject's chain, verified as `audit verify` verifies the whole log: each hash recomputed, each link to
/// the previous event, no gap in seq, and the chain head. For the console's "this chain verifies" mark.
public struct SubjectChainReport: Sendable {
    public var intact: Bool
    public var events: Int
    public var problems: [String]
}
