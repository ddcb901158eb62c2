import CryoDomain
import Logging
import PostgresNIO

/// The outcome of a dispense step whose refusals are logged in the same transaction: nothing was changed before the
/// refusal, so the transaction commits the refusal's custody events alone, and the refusal is thrown after the commit.
enum Logged<R: Sendable>: Sendable {
    case done(R)
    case refused(DomainError)

    func get() throws -> R {
        switch self {
        case .done(let r): return r
        case .refused(let e): throw e
        }
    }
}

extension Store {
    /// Runs `decide` (a CryoDomain check); when it refuses, writes `vial.<step>-refused` on each vial and
    /// `patient.<step>-refused` on each patient, with what was scanned, and returns the refusal.
    static func loggingRefusal(_ step: HandOffStep, vials: [String], patients: [String], scanned: [String: String], actor: Principal,
                               on conn: PostgresConnection, logger: Logger, _ decide: () throws(DomainError) -> Void) async throws -> DomainError? {
        do {
            try decide()
            return nil
        } catch {
            try await logRefusal(step, error, vials: vials, patients: patients, scanned: scanned, actor: actor, on: conn, logger: logger)
            return error
        }
    }

    static func logRefusal(_ step: HandOffStep, _ error: DomainError, vials: [String], patients: [String], scanned: [String: String],
                           actor: Principal, on conn: PostgresConnection, logger: Logger) async throws {
        let rule = switch error {
        case .conflict(_, let r), .invalid(_, let r): r
        default: error.description
        }
        let name = step == .administer ? "administration" : step.rawValue
        var entries = vials.map { CustodyEntry(subjectType: "vial", subjectId: $0, action: "vial.\(name)-refused", reason: rule, details: scanned) }
        entries += Set(patients).sorted().map { CustodyEntry(subjectType: "patient", subjectId: $0, action: "patient.\(name)-refused", reason: rule, details: scanned) }
        try await Custody.append(entries, by: actor, on: conn, logger: logger)
        logger.warning("dispense step refused", metadata: ["step": "\(step.rawValue)", "vials": "\(vials.count)"])
    }
}
