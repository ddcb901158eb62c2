import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

/// Webhook endpoints and deliveries (issue 28, notifications): the same store operations as the API's /notifications.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Webhook endpoints that receive notifications, and their deliveries (admin).",
        subcommands: [Endpoint.self, Deliveries.self, Redeliver.self, Test.self, Subscribe.self])

    struct Endpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "endpoint", abstract: "Add, list, rotate the secret of, or remove webhook endpoints.",
            subcommands: [Add.self, List.self, RotateSecret.self, Remove.self])
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an endpoint; prints its signing secret (whsec_…) this once.",
            discussion: "Kinds: " + NotificationKind.allCases.map(\.rawValue).joined(separator: ", ") + ". None given: every kind.")
        @OptionGroup var user: UserOptions
        @Option(help: "A short name, e.g. MES.") var name: String
        @Option(help: "The URL notifications are POSTed to (http:// or https://).") var url: String
        @Option(help: "A kind of notification to send (repeatable); none: every kind.") var kind: [String] = []

        func run() async throws {
            try await runReporting {
                let name = self.name, url = self.url, kinds = self.kind
                let (endpoint, secret) = try await Database.withStore { store, logger in
                    try await store.addWebhookEndpoint(name: name, url: url, kinds: kinds, actor: try await user.principal(store, logger), logger: logger)
                }
                print("endpoint \(endpoint.name) added: \(endpoint.url) receives " + (endpoint.kinds.isEmpty ? "every kind" : endpoint.kinds.joined(separator: ", ")))
                print("signing secret (shown only now): \(secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the endpoints (never their secrets).")
        @OptionGroup var user: UserOptions

        func run() async throws {
            try await runReporting {
                let list = try await Database.withStore { store, logger in
                    try await store.webhookEndpoints(actor: try await user.principal(store, logger), logger: logger)
                }
                if list.isEmpty { print("no webhook endpoints") }
                for e in list {
                    let kinds = e.kinds.isEmpty ? "every kind" : e.kinds.joined(separator: ", ")
                    let rotation = e.previousSecretUntil.map { ", previous secret signs until \($0.formatted(.iso8601))" } ?? ""
                    print("\(e.name)\t\(e.active ? "active" : "removed")\t\(e.url)\t\(kinds)\(rotation)")
                }
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Give an endpoint a new secret; the previous one keeps signing beside it for a day.")
        @OptionGroup var user: UserOptions
        @Option(help: "The endpoint's name.") var name: String

        func run() async throws {
            try await runReporting {
                let name = self.name
                let (_, secret) = try await Database.withStore { store, logger in
                    try await store.rotateWebhookSecret(name: name, actor: try await user.principal(store, logger), logger: logger)
                }
                print("endpoint \(name) has a new signing secret (shown only now): \(secret)")
                print("both secrets sign for the next 24 hours; give the receiver the new one before then")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an endpoint; its pending deliveries are given up, its log stays.")
        @OptionGroup var user: UserOptions
        @Option(help: "The endpoint's name.") var name: String

        func run() async throws {
            let name = self.name
            try await actAsCaller(user.auth, done: "endpoint \(name) removed") { store, actor, logger in
                try await store.removeWebhookEndpoint(name: name, actor: actor, logger: logger)
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest deliveries, newest first: state, tries, last answer.")
        @OptionGroup var user: UserOptions
        @Option(help: "Only this endpoint's deliveries.") var endpoint: String?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            try await runReporting {
                let endpoint = self.endpoint, limit = self.limit
                let list = try await Database.withStore { store, logger in
                    try await store.notificationDeliveries(endpoint: endpoint, limit: limit, actor: try await user.principal(store, logger), logger: logger)
                }
                if list.isEmpty { print("no deliveries") }
                for d in list {
                    let answer = d.lastStatus.map { "HTTP \($0)" } ?? (d.lastAnswer ?? "not tried yet")
                    print("\(d.id)\t\(d.state)\t\(d.attempts) tries\t\(d.endpoint)\t\(d.sentence)\t\(answer)\t\(d.idempotencyId.uuidString.lowercased())")
                }
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver a notification to its endpoint again (same webhook-id), with a fresh count of tries.")
        @OptionGroup var user: UserOptions
        @Argument(help: "The delivery's id (see `notify deliveries`).") var delivery: Int64

        func run() async throws {
            try await runReporting {
                let id = self.delivery
                let d = try await Database.withStore { store, logger in
                    try await store.redeliver(deliveryId: id, actor: try await user.principal(store, logger), logger: logger)
                }
                print("delivery \(d.id) to \(d.endpoint) is due again: \(d.sentence)")
            }
        }
    }
}
