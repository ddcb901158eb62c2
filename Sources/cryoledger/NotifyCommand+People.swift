import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension NotifyCommand {
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test notification to one endpoint (admin); no other endpoint receives it.")
        @OptionGroup var user: UserOptions
        @Argument(help: "The endpoint's name.") var name: String

        func run() async throws {
            try await runReporting {
                let name = self.name
                let d = try await Database.withStore { store, logger in
                    try await store.requestWebhookTest(endpoint: name, actor: try await user.principal(store, logger), logger: logger)
                }
                print("test notification queued for \(d.endpoint) (delivery \(d.id), webhook-id \(d.idempotencyId.uuidString.lowercased()))")
            }
        }
    }

    struct Subscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose how you are told of a kind of notification, everywhere or at one site, freezer or study.",
            discussion: "Kinds: " + NotificationKind.allCases.map(\.rawValue).joined(separator: ", ")
                + ". Modes: " + NotificationMode.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        @OptionGroup var user: UserOptions
        @Option(help: "The kind, e.g. hold.placed.") var kind: String
        @Option(help: "immediate, hourly, daily or off.") var mode: String
        @Option(help: "Only what happens at this site (its code).") var site: String?
        @Option(help: "Only what happens in this freezer (its id).") var freezer: String?
        @Option(help: "Only what concerns this study (its code).") var study: String?

        func validate() throws {
            if [site, freezer, study].compactMap({ $0 }).count > 1 { throw ValidationError("give at most one of --site, --freezer, --study") }
        }

        func run() async throws {
            try await runReporting {
                guard let kind = NotificationKind(rawValue: self.kind) else {
                    throw DomainError.invalid(field: "kind", rule: "\(self.kind) is not a kind of notification; the kinds are "
                                              + NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard let mode = NotificationMode(rawValue: self.mode) else {
                    throw DomainError.invalid(field: "mode", rule: "immediate, hourly, daily or off")
                }
                let scope: NotificationScope = site.map { .site($0) } ?? freezer.map { .freezer($0) } ?? study.map { .study($0) } ?? .all
                try await Database.withStore { store, logger in
                    try await store.setMySubscription(.init(kind: kind, scope: scope, mode: mode), actor: try await user.principal(store, logger), logger: logger)
                }
                print("\(kind.words): \(mode.words.lowercased())" + (scope == .all ? ", everywhere" : ", \(scope.type) \(scope.id) only"))
            }
        }
    }
}
