import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension StorageCommand {
    struct SpaceReport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "space",
                                                        abstract: "Utilisation per freezer, rack and box; empty positions; boxes that could be consolidated.")
        @OptionGroup var user: UserOptions
        @Option(help: "One freezer (default: all).") var freezer: String?
        @Flag(help: "List every empty position.") var empty = false
        func run() async throws {
            try await runReporting {
                let report = try await Database.withStore { store, logger in
                    try await store.spaceReport(freezerId: freezer, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(report, user.format) { r in
                    var lines: [String] = []
                    for f in r.freezers {
                        lines.append("freezer \(f.id)  \(f.occupied)/\(f.capacity)  \(f.utilisation) %")
                        for rack in f.racks {
                            lines.append("  rack \(rack.label) [\(rack.id)]  \(rack.occupied)/\(rack.capacity)  \(rack.utilisation) %")
                            for b in rack.boxes {
                                lines.append("    box \(b.label) [\(b.id)]  \(b.occupied)/\(b.capacity)  \(b.utilisation) %"
                                             + (empty && !b.emptyPositions.isEmpty ? "  empty: " + b.emptyPositions.joined(separator: " ") : ""))
                            }
                        }
                    }
                    lines.append(r.consolidation.isEmpty ? "no boxes to consolidate"
                                 : "could be consolidated:\n" + r.consolidation.map { "  box \($0.boxId) (\($0.occupied) vials) into box \($0.intoBoxId) (\($0.freeThere) free)" }.joined(separator: "\n"))
                    return lines.joined(separator: "\n")
                }
            }
        }
    }

    struct FindSpace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "find-space",
                                                        abstract: "Find N free positions for a lot (contiguous in one box when possible); changes nothing.")
        @OptionGroup var user: UserOptions
        @Option var lot: String
        @Option var count: Int
        @Option(help: "Look in one freezer only.") var freezer: String?
        func run() async throws {
            try await runReporting {
                let positions = try await Database.withStore { store, logger in
                    try await store.findSpace(lotNumber: lot, count: count, freezerId: freezer, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(positions.map(\.label), user.format) { $0.joined(separator: "\n") }
            }
        }
    }
}
