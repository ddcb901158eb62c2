import Metrics
import Synchronization

/// What the store reports to swift-metrics (exported by `/metrics` when the server bootstrapped a backend).
/// Handlers are created on first use, so they bind to whatever backend is bootstrapped by then.
public enum StoreMetrics {
    /// Custody events committed; counted after COMMIT, so rolled-back events are not in it.
    static let custodyEvents = Counter(label: "cryoledger_custody_events_committed_total")
    /// Connections held by a transaction or a read at this moment, per pool (primary or read replica).
    static let connectionsInUse = [Pool.primary: Meter(label: "cryoledger_db_connections_in_use", dimensions: [("pool", "primary")]),
                                   Pool.replica: Meter(label: "cryoledger_db_connections_in_use", dimensions: [("pool", "replica")])]
    /// Time from asking the pool for a connection to running on it: waiting here means the pool is too small.
    static let leaseWait = [Pool.primary: Timer(label: "cryoledger_db_lease_wait_seconds", dimensions: [("pool", "primary")], preferredDisplayUnit: .seconds),
                            Pool.replica: Timer(label: "cryoledger_db_lease_wait_seconds", dimensions: [("pool", "replica")], preferredDisplayUnit: .seconds)]
    /// Wall time of each optimizer run behind an allocation plan.
    static let solveTime = Timer(label: "cryoledger_optimizer_solve_seconds", preferredDisplayUnit: .seconds)

    enum Pool { case primary, replica }

    static func leaseStarted(_ pool: Pool, askedAt: ContinuousClock.Instant, _ count: LeaseCount) {
        leaseWait[pool]!.record(duration: ContinuousClock.now - askedAt)
        connectionsInUse[pool]!.increment()
        count.add(1)
    }

    static func leaseEnded(_ pool: Pool, _ count: LeaseCount) {
        connectionsInUse[pool]!.decrement()
        count.add(-1)
    }

    /// The configured pool sizes, so dashboards can show use against capacity.
    public static func recordPoolSize(primary: Int, replica: Int?) {
        Gauge(label: "cryoledger_db_pool_max_connections", dimensions: [("pool", "primary")]).record(primary)
        if let replica { Gauge(label: "cryoledger_db_pool_max_connections", dimensions: [("pool", "replica")]).record(replica) }
    }
}

/// Connections one Store holds at this moment.
final class LeaseCount: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Counts the custody events a transaction appends, so they are reported only once it commits.
final class CustodyTally: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
    @TaskLocal static var current: CustodyTally?
}
