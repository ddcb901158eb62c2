import Foundation
import Synchronization

/// Verified tokens, keyed by SHA-256 of the whole token, kept briefly so that a request does not
/// go to the database to check its token. Revocation takes effect within `ttl`.
/// At most one verification per token is in flight: concurrent first requests with the same token
/// wait for that one (issue 18: 200 of them used to run bcrypt 200 times at once).
final class TokenCache: Sendable {
    private let entries = Mutex<[Data: (Principal, ContinuousClock.Instant)]>([:])
    private let inFlight = Mutex<[Data: Task<Principal, any Error>]>([:])
    private let verifications = Mutex<Int>(0)
    let ttl: Duration = .seconds(30)

    func lookup(_ key: Data) -> Principal? {
        entries.withLock { map in
            guard let (p, until) = map[key] else { return nil }
            if until < .now { map[key] = nil; return nil }
            return p
        }
    }

    func store(_ key: Data, _ p: Principal) {
        entries.withLock { map in
            if map.count > 10_000 { map.removeAll() }
            map[key] = (p, .now + ttl)
        }
    }

    /// Runs `verify` unless a verification of the same token is already running, whose outcome is then shared.
    /// A success is cached before its flight ends, and the cache is looked at again under the flight lock: a request
    /// that missed the cache just before a flight ended finds the entry instead of verifying a second time.
    func verifyOnce(_ key: Data, _ verify: @escaping @Sendable () async throws -> Principal) async throws -> Principal {
        let task: Task<Principal, any Error>? = inFlight.withLock { map in
            if let running = map[key] { return running }
            if lookup(key) != nil { return nil }
            let task = Task { [self] in
                defer { _ = inFlight.withLock { $0.removeValue(forKey: key) } }
                verifications.withLock { $0 += 1 }
                let principal = try await verify()
                store(key, principal)
                return principal
            }
            map[key] = task
            return task
        }
        guard let task else {
            if let cached = lookup(key) { return cached }
            return try await verifyOnce(key, verify)  // expired in between: verify after all
        }
        return try await task.value
    }

    /// How many verifications have run (each looks the token up and checks its secret).
    var verificationCount: Int { verifications.withLock { $0 } }
}
