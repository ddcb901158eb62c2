import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension StorageCommand {
    struct Evacuate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evacuate",
            abstract: "Move every vial of a box, rack or freezer into another one, in one transaction (try --dry-run first).",
            discussion: """
                same-positions: each vial to the same row and column of the paired box of a target of the same geometry.
                free-positions: into the target's free positions, earliest-expiring lot first, each lot together.
                Refused, with nothing moved, naming the first conflict.
                """)
        @OptionGroup var user: UserOptions
        @Option(help: "The container to empty: box:ID, rack:ID or freezer:ID.") var from: String
        @Option(help: "The container to fill: box:ID, rack:ID or freezer:ID.") var to: String
        @Option(help: "same-positions or free-positions.") var mode: EvacuationMode = .samePositions
        @Option(help: "Why (recorded on every vial's custody event).") var reason: String
        @Flag(help: "Show the moves; change nothing.") var dryRun = false

        func run() async throws {
            try await runReporting {
                let source = try StorageRef(parsing: from, field: "from")
                let target = try StorageRef(parsing: to, field: "to")
                let started = ContinuousClock.now
                let result = try await Database.withStore { store, logger in
                    try await store.evacuate(source: source, target: target, mode: mode, reason: reason, dryRun: dryRun,
                                             actor: try await user.principal(store, logger), logger: logger)
                }
                let elapsed = ContinuousClock.now - started
                Output.emit(result, user.format) { r in
                    var lines = r.moves.map { "\($0.vialId)  \($0.lotNumber)  \($0.from) -> \($0.to)" }
                    let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                    lines.append(r.dryRun ? "dry run: \(r.moves.count) vials would move; nothing was changed"
                                          : "moved \(r.moves.count) vials from \(r.source) to \(r.target) in \(ms) ms")
                    return lines.joined(separator: "\n")
                }
            }
        }
    }
}
