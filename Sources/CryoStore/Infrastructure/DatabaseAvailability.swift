import Logging
import PostgresNIO
import Synchronization

/// Thrown instead of waiting when the PostgreSQL server cannot be reached; the API answers 503.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "the database cannot be reached (\(reason))" }
}

/// Makes database calls fail fast while the PostgreSQL server is down, instead of queueing in the pool.
///
/// When PostgresClient's pool cannot open a connection it keeps the lease requests queued and retries with a
/// growing backoff; it fails them only when its circuit breaker trips, 60 s after the first failed attempt
/// (not configurable through PostgresClient). A request would hang for the whole outage, and /health/ready with it.
///
/// Here every call registers while it waits for a connection. A sentinel task looks at the waiting calls every
/// `tick`; when one has waited `leaseGrace`, it probes the server: one direct connection attempt, shared. If the
/// server does not answer, every waiting call fails with `DatabaseUnavailable`, and so does every later call, at
/// once, until a background probe (every `probeInterval`) connects again. When the server answers, the pool is
/// only busy (or still reconnecting) and the calls keep waiting as before. A query that fails because its
/// connection was lost triggers a probe at once, so the calls behind it do not wait out the grace period.
/// The fast path costs one child task and two short lock sections per call.
///
/// Across a failover the server behind `DATABASE_URL` may answer but refuse writes: the old primary demoted to a
/// standby, or a node the load balancer has not yet taken out. A write meeting SQLSTATE 25006 (read-only
/// transaction) is unavailability like a lost connection: the call fails with 503, its connection is closed so
/// that the pool does not hand it out again, and the probe runs at once. The probe counts a server that says
/// `transaction_read_only = on` as down (`Options.requireWritable`), so the gate closes until a probe reaches a
/// writable primary, and reopens by itself then.
public final class DatabaseAvailability: Sendable {
    public struct Options: Sendable {
        /// How long a call waits for a connection before the server is probed.
        public var leaseGrace: Duration = .milliseconds(200)
        /// How often the sentinel looks at the waiting calls.
        public var tick: Duration = .milliseconds(100)
        /// How often the server is probed while it is down.
        public var probeInterval: Duration = .milliseconds(250)
        /// A probe that has not connected (and authenticated) by then counts as down.
        public var probeTimeout: Duration = .seconds(1)
        /// A successful probe is trusted this long (the pool may just be busy; no need to probe every tick).
        public var probeReuse: Duration = .seconds(1)
        /// A call still running this long after its connection closed is reported as stuck.
        public var stuckAfter: Duration = .seconds(5)
        /// A query (through `guardedQuery`) still pending this long after its connection closed is failed with
        /// `DatabaseUnavailable`: postgres-nio would never complete it.
        public var failQueriesAfter: Duration = .seconds(1)
        /// The probe also asks `SHOW transaction_read_only`: a server that cannot take writes counts as down.
        /// On for the primary (`DATABASE_URL`); a read replica's gate would turn it off.
        public var requireWritable = true
        public init() {}
    }

    struct State {
        var down = false
        var recovering = false
        var probe: Task<Bool, Never>?
        var lastUp: ContinuousClock.Instant?
        var calls: [Int: DatabaseCall] = [:]
        var nextID = 0
        var sentinel = false
    }

    let configuration: PostgresConnection.Configuration
    let options: Options
    let logger: Logger
    private let state = Mutex(State())

    public init(url: DatabaseURL, options: Options = .init(), logger: Logger) throws {
        var configuration = try url.connectionConfiguration()
        let (seconds, attoseconds) = options.probeTimeout.components
        configuration.options.connectTimeout = .milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// True from a failed probe until a probe connects again.
    public var isDown: Bool { state.withLock { $0.down } }

    /// Runs `operation`, which leases a connection and hands it to `DatabaseCall.leased` before using it. Throws
    /// `DatabaseUnavailable` at once while the server is known to be down, or as soon as it is found down while
    /// the operation still waits for a connection (the wait is then cancelled; the operation never starts).
    func run<R: Sendable>(_ logger: Logger, _ operation: @escaping @Sendable (DatabaseCall) async throws -> R) async throws -> R {
        let call = DatabaseCall(logger: logger)
        let id: Int? = state.withLock { s in
            if s.down { return nil }
            s.nextID &+= 1
            s.calls[s.nextID] = call
            if !s.sentinel {
                s.sentinel = true
                Task { [weak self] in await self?.sentinel() }
            }
            return s.nextID
        }
        guard let id else { throw DatabaseUnavailable(reason: "server down; retrying in the background") }
        defer { _ = state.withLock { $0.calls.removeValue(forKey: id) } }
        return try await withThrowingTaskGroup(of: R.self) { group in
            // Immediate: the lease is asked for at once, not after a hop through the executor's queue.
            group.addImmediateTask {
                defer { call.end(.finished) }
                return try await DatabaseCall.$current.withValue(call) { try await operation(call) }
            }
            switch await call.wait() {
            case .finished:
                return try await group.next()!
            case .down:
                group.cancelAll()
                throw DatabaseUnavailable(reason: "no connection within \(options.leaseGrace) and the server does not answer")
            }
        }
    }

    /// Every `tick`: fails the calls waiting for a connection if the server is gone, and reports calls stuck
    /// on a closed connection (postgres-nio never completes a query written to a closed channel,
    /// vapor/postgres-nio#487, reverted by #501: such a request waits for good).
    private func sentinel() async {
        while true {
            try? await Task.sleep(for: options.tick)
            let now = ContinuousClock.now
            let (calls, down) = state.withLock { s in (Array(s.calls.values), s.down) }
            var overdue = false
            for call in calls {
                switch call.status(now: now, grace: options.leaseGrace, stuckAfter: options.stuckAfter) {
                case .overdue: overdue = true
                case .stuck: call.logger.critical("a database call is stuck on a closed connection and will not return (postgres-nio drops queries written to a closed channel)")
                case .fine: break
                }
                if call.failPendingQueries(closedFor: options.failQueriesAfter, now: now) > 0 {
                    call.logger.warning("a query was pending on a connection that closed under it: failed as unavailable")
                }
            }
            guard overdue else { continue }
            let up = down ? false : await probe()
            if !up {
                for call in calls { call.failIfWaiting() }
            }
        }
    }

    /// A failed query: if it lost its connection, find out at once whether the server is gone, so that the
    /// calls behind it fail fast rather than after their grace period.
    func noteFailure(_ error: any Error) {
        guard Self.isUnavailable(error), !isDown else { return }
        Task {
            if !(await self.probe(fresh: true)) {
                for call in self.state.withLock({ Array($0.calls.values) }) { call.failIfWaiting() }
            }
        }
    }

    /// One probe at a time, shared by everyone who asks meanwhile; unless `fresh`, a success younger than
    /// `probeReuse` is taken as is. A failed probe marks the server down and starts the background recovery probes.
    func probe(fresh: Bool = false) async -> Bool {
        let task: Task<Bool, Never>? = state.withLock { s in
            if !fresh, let up = s.lastUp, up.duration(to: .now) < options.probeReuse { return nil }
            if let running = s.probe { return running }
            let task = Task { await self.connectOnce() }
            s.probe = task
            return task
        }
        guard let task else { return true }
        let up = await task.value
        let startRecovery: Bool = state.withLock { s in
            if s.probe == task { s.probe = nil }
            s.lastUp = up ? .now : nil
            guard !up, !s.recovering else { return false }
            s.down = true
            s.recovering = true
            return true
        }
        if startRecovery {
            logger.error("database unreachable or read-only: answering 503 until a writable primary answers")
            Task { await self.recover() }
        }
        return up
    }

    private func recover() async {
        let started = ContinuousClock.now
        while true {
            try? await Task.sleep(for: options.probeInterval)
            if await connectOnce() {
                state.withLock { s in s.down = false; s.recovering = false; s.lastUp = .now }
                logger.notice("database reachable again", metadata: ["downFor": "\(started.duration(to: .now))"])
                return
            }
        }
    }

    /// One connection attempt, bounded by `probeTimeout`. A server that answers with an error of its own
    /// (too many connections, authentication) is up: only an unreachable or stopping server counts as down.
    private func connectOnce() async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                let connection: PostgresConnection
                do {
                    connection = try await PostgresConnection.connect(configuration: self.configuration, id: 0, logger: self.logger)
                } catch {
                    return !Self.isConnectionLoss(error)
                }
                defer { Task { try? await connection.close() } }
                guard self.options.requireWritable else { return true }
                do {
                    var readOnly = true
                    for try await value in try await connection.query("SHOW transaction_read_only", logger: self.logger).decode(String.self) {
                        readOnly = value != "off"
                    }
                    return !readOnly
                } catch {
                    return !Self.isConnectionLoss(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.options.probeTimeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
    }

    /// Errors that make a request unavailability (503 with Retry-After) rather than a failure of its own:
    /// the server is gone or going away (`isConnectionLoss`), or it cannot take writes (`isReadOnly`).
    public static func isUnavailable(_ error: any Error) -> Bool {
        isConnectionLoss(error) || isReadOnly(error)
    }

    /// SQLSTATE 25006, read_only_sql_transaction: a write reached a server in recovery (a standby, a demoted
    /// primary) or one set read-only. The connection stays usable, but it leads to a server that will keep
    /// refusing writes: close it.
    public static func isReadOnly(_ error: any Error) -> Bool {
        if let tx = error as? PostgresTransactionError {
            return [tx.beginError, tx.closureError, tx.commitError, tx.rollbackError].contains { $0.map(isReadOnly) ?? false }
        }
        guard let psql = error as? PSQLError else { return false }
        return psql.serverInfo?[.sqlState] == "25006"
    }

    /// Errors that mean the server is not there (or going away), as opposed to an error in a query.
    public static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        if let tx = error as? PostgresTransactionError {
            return [tx.beginError, tx.closureError, tx.commitError, tx.rollbackError].contains { $0.map(isConnectionLoss) ?? false }
        }
        // The pool's circuit breaker (ConnectionPoolError is not exported by PostgresNIO).
        if String(describing: type(of: error)) == "ConnectionPoolError" { return true }
        guard let psql = error as? PSQLError else { return false }
        if [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed].contains(psql.code) { return true }
        guard let state = psql.serverInfo?[.sqlState] else { return false }
        // 08: connection exception; 57P01/02/03: admin or crash shutdown, cannot connect now (starting up, shutting down).
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
    }
}

/// One database call going through `DatabaseAvailability.run`: waiting for a connection, then running on it.
final class DatabaseCall: Sendable {
    enum Wake: Sendable { case finished, down }
    enum Status { case fine, overdue, stuck }

    /// The call the current task runs in (set by `DatabaseAvailability.run`), for `guardedQuery`.
    @TaskLocal static var current: DatabaseCall?

    private struct S {
        var connection: PostgresConnection?
        var outcome: Wake?
        var continuation: CheckedContinuation<Wake, Never>?
        var closedSince: ContinuousClock.Instant?
        var reportedStuck = false
        var pending: [ObjectIdentifier: any PendingFailable] = [:]
    }

    func track(_ query: any PendingFailable) { s.withLock { $0.pending[ObjectIdentifier(query)] = query } }
    func untrack(_ query: any PendingFailable) { _ = s.withLock { $0.pending.removeValue(forKey: ObjectIdentifier(query)) } }

    /// Fails the queries still pending on this call's connection once it has been closed for `limit`.
    func failPendingQueries(closedFor limit: Duration, now: ContinuousClock.Instant) -> Int {
        let queries: [any PendingFailable] = s.withLock { s in
            guard s.outcome == nil, let connection = s.connection, connection.isClosed, !s.pending.isEmpty else { return [] }
            let since = s.closedSince ?? now
            s.closedSince = since
            guard since.duration(to: now) >= limit else { return [] }
            defer { s.pending.removeAll() }
            return Array(s.pending.values)
        }
        for query in queries { query.fail(DatabaseUnavailable(reason: "the connection closed while a query was pending")) }
        return queries.count
    }

    let logger: Logger
    let since = ContinuousClock.now
    private let s = Mutex(S())

    init(logger: Logger) { self.logger = logger }

    /// The operation has its connection; throws if the call was already failed (the server is down), so that
    /// nothing is written for a request that has been answered 503.
    func leased(_ connection: PostgresConnection) throws {
        let failed: Bool = s.withLock { s in
            if s.outcome == .down { return true }
            s.connection = connection
            return false
        }
        if failed { throw DatabaseUnavailable(reason: "the server was found down while this call waited") }
    }

    /// Fails the call unless it already holds a connection (or has finished).
    func failIfWaiting() {
        let continuation: CheckedContinuation<Wake, Never>?? = s.withLock { s in
            guard s.connection == nil, s.outcome == nil else { return nil }
            s.outcome = .down
            defer { s.continuation = nil }
            return .some(s.continuation)
        }
        if case .some(let c?) = continuation { c.resume(returning: .down) }
    }

    func end(_ wake: Wake) {
        let continuation: CheckedContinuation<Wake, Never>? = s.withLock { s in
            guard s.outcome == nil else { return nil }
            s.outcome = wake
            defer { s.continuation = nil }
            return s.continuation
        }
        continuation?.resume(returning: wake)
    }

    func wait() async -> Wake {
        await withCheckedContinuation { c in
            let now: Wake? = s.withLock { s in
                if let outcome = s.outcome { return outcome }
                s.continuation = c
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    func status(now: ContinuousClock.Instant, grace: Duration, stuckAfter: Duration) -> Status {
        s.withLock { s in
            guard s.outcome == nil else { return .fine }
            guard let connection = s.connection else { return since.duration(to: now) >= grace ? .overdue : .fine }
            guard connection.isClosed else { return .fine }
            let closed = s.closedSince ?? now
            s.closedSince = closed
            if !s.reportedStuck, closed.duration(to: now) >= stuckAfter {
                s.reportedStuck = true
                return .stuck
            }
            return .fine
        }
    }
}

/// What the sentinel can fail: a pending query of any result type.
protocol PendingFailable: AnyObject, Sendable {
    func fail(_ error: any Error)
}

/// A query's outcome, delivered once: by the query itself, or by the sentinel when the connection closed under it.
final class PendingQuery<Value: Sendable>: PendingFailable, Sendable {
    private struct S {
        var done = false
        var result: Result<Value, any Error>?
        var continuation: CheckedContinuation<Value, any Error>?
    }
    private let s = Mutex(S())

    func fail(_ error: any Error) { resume(.failure(error)) }

    func resume(_ result: Result<Value, any Error>) {
        let continuation: CheckedContinuation<Value, any Error>? = s.withLock { s in
            guard !s.done else { return nil }
            s.done = true
            if let c = s.continuation { s.continuation = nil; return c }
            s.result = result
            return nil
        }
        continuation?.resume(with: result)
    }

    func wait() async throws -> Value {
        try await withCheckedThrowingContinuation { c in
            let ready: Result<Value, any Error>? = s.withLock { s in
                if let result = s.result { s.result = nil; return result }
                s.continuation = c
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
    }
}

extension PostgresConnection {
    /// `query`, but it cannot wait for good. postgres-nio 1.33 never completes a query written to a connection
    /// the server (or a proxy) has just closed (vapor/postgres-nio#487, reverted by #501): across a switchover
    /// that hung a request for good. In a server call (`DatabaseAvailability.run`) the query runs in a task of its
    /// own and the caller waits for its outcome, which the sentinel delivers as `DatabaseUnavailable` (503) once
    /// the connection has been closed for `failQueriesAfter`; the abandoned task stays parked (a few hundred bytes,
    /// only after such a race). Outside a server call (CLI, tests, migrations) it is `query` itself.
    @discardableResult
    func guardedQuery(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        guard let call = DatabaseCall.current else { return try await self.query(query, logger: logger, file: file, line: line) }
        if isClosed { throw DatabaseUnavailable(reason: "the connection was closed") }
        let pending = PendingQuery<PostgresRowSequence>()
        call.track(pending)
        defer { call.untrack(pending) }
        // Immediate: the query is written from this thread, not after a hop through the executor's queue, which under
        // load is long and is waited while the connection is held.
        Task.immediate { [self] in
            do {
                pending.resume(.success(try await self.query(query, logger: logger, file: file, line: line)))
            } catch {
                pending.resume(.failure(error))
            }
        }
        return try await pending.wait()
    }

    /// `guardedQuery` for a prepared statement (parsed and planned once per connection): the rows, all of them.
    func guardedExecute<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger, file: String = #fileID, line: Int = #line)
        async throws -> [Statement.Row] where Statement.Row: Sendable {
        guard let call = DatabaseCall.current else { return try await self.execute(statement, logger: logger, file: file, line: line).all() }
        if isClosed { throw DatabaseUnavailable(reason: "the connection was closed") }
        let pending = PendingQuery<[Statement.Row]>()
        call.track(pending)
        defer { call.untrack(pending) }
        // Immediate: the query is written from this thread, not after a hop through the executor's queue, which under
        // load is long and is waited while the connection is held.
        Task.immediate { [self] in
            do {
                pending.resume(.success(try await self.execute(statement, logger: logger, file: file, line: line).all()))
            } catch {
                pending.resume(.failure(error))
            }
        }
        return try await pending.wait()
    }
}
