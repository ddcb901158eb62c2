import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// Bursts of failed sign-ins or signatures (21 CFR 11.300(d)): custody events of the subject `security`, which
/// administrators list (`Store.securityReport`) until notifications exist.
enum SecurityBurst {
    static func signInEntry(kind: SignInThrottle.Kind, value: String, failures: Int) -> CustodyEntry {
        CustodyEntry(subjectType: "security", subjectId: "sign-in", action: "security.sign-in-burst",
                     reason: "\(failures) failed sign-ins in a row " + (kind == .login ? "for the login name \(value)" : "from the address \(value)"),
                     details: ["kind": kind.rawValue, kind.rawValue: value, "failuresInARow": String(failures)])
    }

    static func signatureEntry(user: Principal, failures: Int) -> CustodyEntry {
        CustodyEntry(subjectType: "security", subjectId: "signature", action: "security.signature-burst", toState: "locked",
                     reason: "\(failures) wrong signing passwords in a row by \(user.name); the account is locked",
                     details: ["userId": String(user.id), "userName": user.name, "failuresInARow": String(failures)])
    }
}

extension Store {
    /// What administrators see of sign-in and signature security: locked users and the latest bursts.
    public func securityReport(limit: Int = 50, actor: Principal, logger: Logger) async throws -> SecurityReport {
        try actor.require(.manageUsers)
        let locked = try await users(actor: actor, logger: logger).filter { $0.locked && !$0.deactivated }
        let bursts = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT id, occurred_at, action, reason, details->>'failuresInARow' AS failures
                FROM custody_event WHERE subject_type = 'security' AND action LIKE 'security.%-burst'
                ORDER BY occurred_at DESC, id DESC LIMIT \(max(1, min(limit, 500)))
                """, logger: logger).named { c in
                SecurityBurstRecord(eventId: try c("id"), occurredAt: try c("occurred_at"),
                                    kind: (try c("action", as: String.self)) == "security.signature-burst" ? .signature : .signIn,
                                    description: try c("reason", as: String?.self) ?? "", failuresInARow: Int(try c("failures", as: String?.self) ?? "") ?? 0)
            }
        }
        return SecurityReport(lockedUsers: locked, bursts: bursts)
    }
}
