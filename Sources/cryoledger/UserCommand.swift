import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension Role: ExpressibleByArgument {}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Users, roles and tokens.", subcommands: [Create.self, Unlock.self, ChangeRole.self, ReplaceTokens.self, Deactivate.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and print its API token once (bootstrap: straight to the database).")
        @Option(help: "The user's printed name, as it appears on signatures.") var name: String
        @Option(help: "One of: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: Role
        @Option(help: "Login name for the web console (unique whatever its case); signing in needs a password too.") var login: String?
        @Flag(help: "Read a signing password from standard input (needed for electronic signatures).") var passwordStdin = false
        @Option(name: .customLong("output"), help: "text or json") var format: OutputFormat = .text

        func run() async throws {
            try await runReporting {
                let password = passwordStdin ? readLine(strippingNewline: true) : nil
                let issued = try await Database.withStore { store, logger in
                    try await store.createUser(name: name, role: role, password: password, login: login, logger: logger)
                }
                struct Out: Encodable { let id: Int64; let name: String; let role: String; let token: String }
                Output.emit(Out(id: issued.user.id, name: issued.user.name, role: issued.user.role.rawValue, token: issued.token), format) {
                    "created user \($0.id) '\($0.name)' (\($0.role)); token (shown once):\n\($0.token)"
                }
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock an account locked after five failed signatures (admin).")
        @OptionGroup var auth: TokenOption
        @Option(help: "The user's name.") var name: String
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.unlockUser(name: name, actor: try await auth.principal(store, logger), logger: logger)
                }
                print("unlocked \(name)")
            }
        }
    }

    struct ChangeRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role",
            abstract: "Change a user's role (admin); it counts from the user's next request, on every server.")
        @OptionGroup var auth: TokenOption
        @Option(help: "The user's id (as `user create` printed it, or the console's Users page).") var id: Int64
        @Option(help: "One of: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: Role
        @Option(help: "Why, for the custody log.") var reason: String
        func run() async throws {
            let (id, role, reason) = (id, role, reason)
            try await actAsCaller(auth, done: "user \(id) is now \(role.rawValue)") { store, actor, logger in
                try await store.changeRole(userId: id, to: role, reason: reason, actor: actor, logger: logger)
            }
        }
    }

    struct ReplaceTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "replace-tokens",
            abstract: "Revoke every API token of a user and print one new token, once (admin); the old ones fail from the next request.")
        @OptionGroup var auth: TokenOption
        @Option(help: "The user's id.") var id: Int64
        @Option(help: "Why, for the custody log.") var reason: String
        func run() async throws {
            try await runReporting {
                let issued = try await Database.withStore { store, logger in
                    try await store.replaceTokens(userId: id, reason: reason, actor: try await auth.principal(store, logger), logger: logger)
                }
                print("tokens of user \(id) revoked; new token (shown once):\n\(issued.token)")
            }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a user (admin): tokens revoked, sessions ended, from the next request; never deleted.")
        @OptionGroup var auth: TokenOption
        @Option(help: "The user's id.") var id: Int64
        @Option(help: "Why, for the custody log.") var reason: String
        func run() async throws {
            let (id, reason) = (id, reason)
            try await actAsCaller(auth, done: "user \(id) is deactivated") { store, actor, logger in
                try await store.deactivateUser(userId: id, reason: reason, actor: actor, logger: logger)
            }
        }
    }
}
