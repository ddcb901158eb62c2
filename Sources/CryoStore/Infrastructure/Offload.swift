import Foundation

extension Store {
    /// Runs CPU-heavy, blocking work (bcrypt, the CBC solver) on a Dispatch thread instead of one of the few threads
    /// of Swift's cooperative pool (2 on a 2-core machine), which every request shares: while a plan is solved
    /// for up to its time limit, the other requests keep being served.
    static func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
