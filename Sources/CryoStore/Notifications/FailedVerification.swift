import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// A verification that found the audit trail changed is itself a custody event (`audit.verification-failed`), so
    /// administrators are notified through the outbox like any other notifying event. Coded details only: how many
    /// problems, of which kinds, and the first event concerned.
    func recordFailedVerification(_ report: VerificationReport, actor: Principal, logger: Logger) async throws {
        let kinds = Set(report.problems.map(\.kind)).sorted().joined(separator: " ")
        try await transaction(logger) { conn in
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "audit-trail", action: "audit.verification-failed",
                                                  toState: "failed",
                                                  details: ["problems": String(report.problems.count), "kinds": kinds,
                                                            "firstEvent": report.problems.compactMap(\.eventId).first.map(String.init) ?? ""]),
                                     by: actor, on: conn, logger: logger)
        }
    }
}
