import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

struct VialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vial", abstract: "Vials: creation, placement and moves.",
                                                    subcommands: [Create.self, Show.self, Place.self, Move.self, Labels.self])

    static func describe(_ v: VialRecord) -> String {
        "\(v.id)  lot \(v.lotNumber) #\(v.ordinal)  \(v.productCode)  \(v.status)  expires \(v.expiresOn)  at \(v.location.map { "\($0.siteCode)/\($0.freezerId)/\($0.rackId)/\($0.label)" } ?? "(not placed)")"
            + (v.checkedOutSince.map { "  CHECKED OUT since \($0.formatted(.iso8601)) (position kept)" } ?? "")
            + (v.minutesOutOfStorage > 0 ? "  \(v.minutesOutOfStorage) min out of storage" : "")
            + (v.availability.summary.map { "\n    not usable: \($0)" } ?? "")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create vials of a lot and place them (into --box, or where there is space).")
        @OptionGroup var user: UserOptions
        @Option var lot: String
        @Option var count: Int
        @Option(help: "Box to fill, row by row (default: free positions found for the lot, contiguous in one box when possible).") var box: String?
        @Flag(help: "Create the vials without placing them.") var unplaced = false
        func run() async throws {
            try await runReporting {
                let vials = try await Database.withStore { store, logger in
                    try await store.createVials(lotNumber: lot, count: count, boxId: box, findSpace: box == nil && !unplaced,
                                                actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(vials, user.format) { $0.map(VialCommand.describe).joined(separator: "\n") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a vial.")
        @OptionGroup var user: UserOptions
        @Argument var id: String
        func run() async throws {
            try await runReporting {
                let vial = try await Database.withStore { store, logger in
                    try await store.vial(id: id, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(vial, user.format) { VialCommand.describe($0) }
            }
        }
    }

    struct Place: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put an unplaced vial into a box position.")
        @OptionGroup var user: UserOptions
        @Argument var id: String
        @Option var box: String
        @Option var row: Int
        @Option var column: Int
        func run() async throws {
            try await runReporting {
                let vial = try await Database.withStore { store, logger in
                    try await store.placeVial(id: id, at: Position(boxId: box, row: row, column: column),
                                              actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(vial, user.format) { VialCommand.describe($0) }
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a placed vial to another position.")
        @OptionGroup var user: UserOptions
        @Argument var id: String
        @Option var box: String
        @Option var row: Int
        @Option var column: Int
        @Option var reason: String
        func run() async throws {
            try await runReporting {
                let vial = try await Database.withStore { store, logger in
                    try await store.moveVial(id: id, to: Position(boxId: box, row: row, column: column), reason: reason,
                                             actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(vial, user.format) { VialCommand.describe($0) }
            }
        }
    }
}
