import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// `transaction`, for operations whose refusals are logged: when the database refuses the change with one of
    /// its rules (SQLSTATE CL409 or CL422, from a trigger or a deferred constraint trigger at commit), the
    /// transaction is rolled back, `refusal` writes its record in a transaction of its own on the same
    /// connection, and the refusal is thrown as the domain error it maps to.
    func transaction<R: Sendable>(_ logger: Logger, refusal: (PostgresConnection, DomainError) async throws -> Void,
                                  _ body: (PostgresConnection) async throws -> R) async throws -> R {
        // Events are counted for the transaction that committed: the change's, or the refusal's.
        let tally = CustodyTally(), refusalTally = CustodyTally()
        let outcome: Result<R, DomainError> = try await CustodyTally.$current.withValue(tally) {
            try await read(logger) { conn in
                do {
                    return .success(try await Self.inTransaction(conn, logger: logger, body))
                } catch let error as PSQLError where DatabaseErrors.isRuleRefusal(error) {
                    // inTransaction rolled back; a failed COMMIT has ended the transaction by itself.
                    guard let refused = DatabaseErrors.map(error) as? DomainError else { throw error }
                    try await CustodyTally.$current.withValue(refusalTally) {
                        try await Self.inTransaction(conn, logger: logger) { conn in try await refusal(conn, refused) }
                    }
                    return .failure(refused)
                }
            }
        }
        let committed = switch outcome { case .success: tally.value; case .failure: refusalTally.value }
        if committed > 0 { StoreMetrics.custodyEvents.increment(by: committed) }
        return try outcome.get()
    }
}

extension DatabaseErrors {
    /// A rule of the database's own refused the change (not a lost connection or a race).
    static func isRuleRefusal(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "CL409" || state == "CL422"
    }
}
