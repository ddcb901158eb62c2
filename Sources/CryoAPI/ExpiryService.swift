import CryoStore
import Logging
import ServiceLifecycle

/// Marks lots past their expiry date expired (with custody events by the system), at start and then at an
/// interval, so nobody has to run a job by hand. Reservation, shipping and administration refuse expired
/// lots in the database already; this keeps the status and the open reservations in line with the date.
/// The same sweep announces, once each, the conditions found on a timer (issue 28): lots entering their last 30 / 7
/// days, dry shippers running out of hold time, infusion days near without a reserved vial (`warnOfConditions`).
struct ExpiryService: Service {
    let store: Store
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let lots = try await store.expireDueLots(logger: logger)
                if !lots.isEmpty { logger.info("lots expired", metadata: ["count": "\(lots.count)"]) }
            } catch {
                logger.warning("expiry sweep failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
            }
            do {
                try await store.warnOfConditions(logger: logger)
            } catch {
                logger.warning("condition sweep failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
            }
            // Graceful shutdown ends the wait at once, or SIGTERM would wait out the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
