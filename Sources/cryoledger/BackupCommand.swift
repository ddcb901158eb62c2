import ArgumentParser
import CryoStore
import Foundation

extension DatabaseCommand {
    struct BackupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "backup", abstract: "Back the database up with pg_dump (custom format).")
        @Option(help: "The backup file to write.") var output: String
        func run() async throws {
            try await runReporting {
                try Backup.dump(try Database.url(admin: true), to: output)
                print("backup written to \(output)")
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the database's contents with a backup (pg_restore, one transaction); then run `cryoledger audit verify`.")
        @Option(help: "The backup file to read.") var input: String
        func run() async throws {
            try await runReporting {
                try Backup.restore(try Database.url(admin: true), from: input)
                print("restored from \(input); check it with: cryoledger audit verify")
            }
        }
    }
}
