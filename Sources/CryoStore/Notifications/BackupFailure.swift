import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// A backup or a verification of the backup repository that failed is a custody event (`backup.failed`), so
    /// administrators are notified through the outbox. Coded details only: which operation, which repository.
    public func recordBackupFailure(operation: String, repo: Int, logger: Logger) async throws {
        try await transaction(logger) { conn in
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "backup", action: "backup.failed", toState: "failed",
                                                  details: ["operation": operation, "repository": String(repo)]),
                                     by: .system, on: conn, logger: logger)
        }
    }
}
