import CryoDomain
import CryoStore
import Foundation
import Logging
import ServiceLifecycle

/// How the server sends e-mail: the system's sendmail interface (msmtp from Debian, configured for the site's SMTP
/// relay with STARTTLS and authentication in its own file), the sender address and the console's public address for
/// the links in the mails.
public struct MailSettings: Sendable {
    /// The command and its arguments, e.g. `["/usr/bin/msmtp", "-C", "/etc/cryoledger/msmtprc"]`; the recipients follow
    /// them and the message is written to its standard input.
    public var sendmail: [String]
    public var from: String
    public var consoleURL: String
    public init(sendmail: [String], from: String, consoleURL: String) {
        self.sendmail = sendmail; self.from = from; self.consoleURL = consoleURL
    }
}

/// Delivers the e-mail outbox (issue 28): claims due e-mails like the webhook dispatcher, hands each to sendmail and
/// records the answer; writes the hourly and daily digests once their window has closed. Everything it knows is in
/// the database: a server killed at any moment sends what is pending after its restart (at least once; every mail
/// carries its idempotency id in `Message-ID` and `X-CryoLedger-Notification`).
struct MailDispatcher: Service {
    let store: Store
    let settings: MailSettings
    let pollInterval: Duration
    /// Rung by the outbox listener when new rows commit; the poll interval is the fallback.
    var bell = OutboxDoorbell()
    let logger: Logger
    var batch = 16
    var leaseSeconds = 120
    /// Digests wait this long past the end of their window, so notifications committed just after it are in them.
    var digestGraceSeconds: TimeInterval = 60

    func run() async throws {
        var lastDigestCheck = Date.distantPast
        while !Task.isCancelledOrShuttingDown {
            var claimed = 0
            do {
                if Date().timeIntervalSince(lastDigestCheck) >= 30 {
                    let now = Date().addingTimeInterval(-digestGraceSeconds)
                    for period in [NotificationMode.hourly, .daily] { try await store.makeDigests(period, now: now, logger: logger) }
                    lastDigestCheck = Date()
                }
                let due = try await store.claimDueMail(limit: batch, leaseSeconds: leaseSeconds, logger: logger)
                claimed = due.count
                await withTaskGroup(of: Void.self) { group in
                    for mail in due { group.addTask { await deliver(mail) } }
                }
            } catch {
                logger.warning("mail dispatch failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
            }
            if claimed < batch { await cancelWhenGracefulShutdown { await bell.wait(timeout: pollInterval) } }
        }
    }

    func deliver(_ mail: DueMail) async {
        let started = ContinuousClock.now
        let message = NotificationMail(idempotencyId: mail.idempotencyId, items: mail.items, digest: mail.digest,
                                       from: settings.from, consoleURL: settings.consoleURL).message()
        let (status, answer) = await Sendmail.send(message, to: mail.recipients, command: settings.sendmail)
        let elapsed = ContinuousClock.now - started
        let latency = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let delivered = status == 0
        do {
            try await store.recordMailAttempt(id: mail.id, status: status, answer: answer, latencyMs: latency, delivered: delivered, logger: logger)
        } catch {
            logger.warning("an e-mail's answer could not be recorded; it will be sent again", metadata: ["mail": "\(mail.id)", "error": "\(LogSafe.describe(error))"])
        }
        if !delivered {
            // The recipients are people's addresses: counted, not logged.
            logger.info("e-mail not delivered", metadata: ["mail": "\(mail.id)", "status": "\(status.map(String.init) ?? "none")",
                                                        "recipients": "\(mail.recipients.count)", "attempt": "\(mail.attempts + 1)"])
        }
    }
}

/// Runs the sendmail command with the recipients as arguments and the message on its standard input.
enum Sendmail {
    private static let queue = DispatchQueue(label: "cryoledger.sendmail", qos: .utility, attributes: .concurrent)

    /// The exit status (0: accepted for delivery) and the first bytes of what the command wrote, or nil and why it
    /// could not run.
    static func send(_ message: String, to recipients: [String], command: [String]) async -> (Int?, String) {
        guard !command.isEmpty else { return (nil, "no sendmail command configured") }
        // "--" ends the options: an address can never be read as one.
        let argv = command + ["-i", "--"] + recipients
        return await withCheckedContinuation { continuation in
            queue.async {
                let (status, output) = Spawn.run(argv, input: Array(message.utf8))
                continuation.resume(returning: (status.map(Int.init), output))
            }
        }
    }
}
