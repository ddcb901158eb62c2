import ArgumentParser
import CryoStore
import Foundation

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Migrations and the embedded PostgreSQL cluster.",
        subcommands: [Migrate.self, Start.self, Stop.self, Status.self, URLCommand.self, BackupCommand.self, Backups.self, BackupVerify.self, Restore.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply db/migrations/*.sql that are not applied yet.")
        @Option(help: "Directory of the migrations (default: db/migrations, or $CRYOLEDGER_MIGRATIONS).") var directory: String?

        func run() async throws {
            try await runReporting {
                let migrator = try Migrator(directory: directory.map { URL(fileURLWithPath: $0) } ?? Migrator.defaultDirectory())
                let applied = try await Database.withClient(maxConnections: 2, admin: true) { client, logger in
                    try await migrator.migrate(client: client, logger: logger)
                }
                print(applied.isEmpty ? "database is up to date (\(migrator.migrations.count) migrations)" : "applied: \(applied.joined(separator: ", "))")
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (first time) and start the embedded cluster.")
        func run() async throws {
            try await runReporting {
                let db = EmbeddedPostgres()
                try db.ensureRunning()
                print("embedded PostgreSQL running: \(db.url)")
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        func run() async throws {
            try await runReporting {
                try EmbeddedPostgres().stop()
                print("embedded PostgreSQL stopped")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Is the embedded cluster running?")
        func run() async throws {
            try await runReporting {
                let db = EmbeddedPostgres()
                if !db.isInitialised {
                    print("not initialised (\(db.home.path)); cryoledger db start creates it")
                    throw ExitCode(3)
                }
                if try db.isRunning() {
                    print("running: \(db.url)")
                } else {
                    print("stopped (\(db.dataDirectory.path))")
                    throw ExitCode(3)
                }
            }
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print the database URL (psql accepts it).")
        @Flag(help: "The superuser's URL rather than the application role's.") var admin = false
        func run() async throws {
            try await runReporting {
                print(try Database.url(admin: admin))
            }
        }
    }
}
