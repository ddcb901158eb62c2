import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// The system of record. Every operation validates its input, checks the caller's role,
/// and commits its state change together with its custody events in one transaction.
public struct Store: Sendable {
    public let client: PostgresClient
    /// A read replica for heavy reads (auditors' exports); nil reads from the primary.
    public let readClient: PostgresClient?
    let tokens: TokenFlights
    /// When given (the server), calls fail fast with `DatabaseUnavailable` while PostgreSQL is down instead of
    /// waiting in the pool; the CLI and the tests go without.
    let availability: DatabaseAvailability?
    /// The time the rules that depend on it (DLT windows) read; tests pass a later one instead of waiting.
    let clock: @Sendable () -> Date
    /// Connections this store holds at this moment (both pools), as `cryoledger_db_connections_in_use` counts them.
    let leases = LeaseCount()

    /// How many connections this store's operations hold right now: 0 when nothing runs (a stream that was abandoned
    /// must not keep one).
    public var connectionsInUse: Int { leases.value }

    public init(client: PostgresClient, readClient: PostgresClient? = nil, availability: DatabaseAvailability? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.readClient = readClient
        self.tokens = TokenFlights()
        self.availability = availability
        self.clock = clock
    }

    /// Today (UTC) by the store's clock.
    func today() -> CalendarDay { CalendarDay.today(clock()) }

    /// Runs `body` in a transaction and turns database errors into domain errors.
    /// Custody events the body appends are counted once the transaction has committed.
    func transaction<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        let tally = CustodyTally()
        let result = try await CustodyTally.$current.withValue(tally) {
            try await read(logger) { conn in try await Self.inTransaction(conn, logger: logger, body) }
        }
        if tally.value > 0 { StoreMetrics.custodyEvents.increment(by: tally.value) }
        return result
    }

    func read<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        let asked = ContinuousClock.now
        do {
            guard let availability else {
                return try await client.withConnection { conn in
                    try Self.requireOpen(conn)
                    StoreMetrics.leaseStarted(.primary, askedAt: asked, leases)
                    defer { StoreMetrics.leaseEnded(.primary, leases) }
                    do { return try await body(conn) } catch { await Self.dropIfReadOnly(conn, error); throw error }
                }
            }
            return try await withoutActuallyEscaping(body) { body in
                // Runs in a child task of `availability.run`, which awaits it before returning: it does not escape.
                nonisolated(unsafe) let body = body
                return try await availability.run(logger) { [client, leases] call in
                    try await client.withConnection { conn in
                        try call.leased(conn)
                        try Self.requireOpen(conn)
                        StoreMetrics.leaseStarted(.primary, askedAt: asked, leases)
                        defer { StoreMetrics.leaseEnded(.primary, leases) }
                        do { return try await body(conn) } catch { await Self.dropIfReadOnly(conn, error); throw error }
                    }
                }
            }
        } catch {
            availability?.noteFailure(error)
            throw DatabaseErrors.map(error)
        }
    }

    /// A read that may run on the replica: exports and reports, which tolerate replication lag of a few
    /// seconds. Writes (the auditor-read log among them) always go through `transaction` to the primary.
    func replicaRead<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        guard let readClient else { return try await read(logger, body) }
        let asked = ContinuousClock.now
        do {
            return try await readClient.withConnection { conn in
                try Self.requireOpen(conn)
                StoreMetrics.leaseStarted(.replica, askedAt: asked, leases)
                defer { StoreMetrics.leaseEnded(.replica, leases) }
                return try await body(conn)
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK when `body` throws, but never on a connection that is gone: postgres-nio
    /// drops a query written to a closed channel without ever completing it, so the caller would wait for good
    /// (vapor/postgres-nio#487, reverted by #501); the server has rolled the transaction back anyway.
    static func inTransaction<R>(_ conn: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await conn.guardedQuery("BEGIN", logger: logger)
        let value: R
        do {
            value = try await body(conn)
        } catch {
            if !conn.isClosed, !DatabaseAvailability.isConnectionLoss(error) {
                _ = try? await conn.guardedQuery("ROLLBACK", logger: logger)
            }
            throw error
        }
        try requireOpen(conn)
        try await conn.guardedQuery("COMMIT", logger: logger)
        return value
    }

    /// A connection whose server refused a write as read-only (SQLSTATE 25006: after a failover it leads to a
    /// standby) is closed before it goes back to the pool, so that the pool opens a new one, through the load
    /// balancer, to the new primary. (Closing a leased connection is safe: the pool drops closed connections.)
    static func dropIfReadOnly(_ conn: PostgresConnection, _ error: any Error) async {
        if DatabaseAvailability.isReadOnly(error), !conn.isClosed {
            try? await conn.close()
        }
    }

    /// See `inTransaction`: a closed connection must not be written to.
    static func requireOpen(_ conn: PostgresConnection) throws {
        if conn.isClosed { throw DatabaseUnavailable(reason: "the connection was closed") }
    }

    /// For /health/ready: false at once while the server is known to be down.
    public func isReachable(logger: Logger) async -> Bool {
        if availability?.isDown == true { return false }
        return (try? await read(logger) { conn in try await conn.guardedQuery("SELECT 1", logger: logger); return true }) ?? false
    }
}

/// SQLSTATE codes to domain errors, so a constraint the database enforced reads like the rule it stands for.
enum DatabaseErrors {
    static let constraintMessages: [String: (field: String, rule: String)] = [
        "vial_position_occupied": ("position", "that position already holds a vial"),
        "vial_position_pkey": ("vialId", "the vial is already placed; move it instead"),
        "donor_pkey": ("code", "a donor with this code is already registered"),
        "lot_pkey": ("lotNumber", "a lot with this number is already registered"),
        "product_pkey": ("code", "a product with this code already exists"),
        "site_pkey": ("code", "a site with this code already exists"),
        "freezer_pkey": ("id", "a freezer with this id already exists"),
        "rack_pkey": ("id", "a rack with this id already exists"),
        "box_pkey": ("id", "a box with this id already exists"),
        "rack_freezer_id_label_key": ("label", "the freezer already has a rack with this label"),
        "box_rack_id_label_key": ("label", "the rack already has a box with this label"),
        "app_user_name_key": ("name", "a user with this name already exists"),
        "app_user_login_unique": ("login", "this login name is taken (login names are compared without regard to case)"),
    ]

    static func map(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError {
            if let inner = tx.closureError ?? tx.commitError ?? tx.beginError { return map(inner) }
            return error
        }
        guard let psql = error as? PSQLError, let info = psql.serverInfo, let state = info[.sqlState] else { return error }
        let constraint = info[.constraintName] ?? ""
        let message = info[.message] ?? "database error"
        switch state {
        case "23505":
            let known = constraintMessages[constraint]
            return DomainError.conflict(field: known?.field, rule: known?.rule ?? "duplicate: \(message)")
        case "23503":
            return DomainError.invalid(field: constraint, rule: "refers to something that does not exist (\(info[.detail] ?? message))")
        case "23514", "23502", "22P02", "22007", "22008", "22003":
            return DomainError.invalid(field: info[.columnName] ?? constraint, rule: message)
        case "CL409":
            return DomainError.conflict(field: info[.columnName], rule: message)
        case "CL422":
            return DomainError.invalid(field: info[.columnName] ?? "position", rule: message)
        case "CL403":
            return DomainError.conflict(field: nil, rule: message)
        case "40001", "40P01":
            return DomainError.conflict(field: nil, rule: "a concurrent change got there first; retry")
        default:
            return error
        }
    }
}

extension AsyncSequence {
    /// Collects a (small) decoded result set.
    func all() async throws -> [Element] {
        var out: [Element] = []
        for try await element in self { out.append(element) }
        return out
    }
}
