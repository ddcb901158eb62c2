import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension SiteKind: ExpressibleByArgument {}
extension FreezerKind: ExpressibleByArgument {}
extension EvacuationMode: ExpressibleByArgument {}
extension CheckoutPurpose: ExpressibleByArgument {}

struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Sites, freezers, racks and boxes; freezer maps.",
        subcommands: [AddSite.self, AddFreezer.self, AddRack.self, AddBox.self, SitePrinter.self, Freezers.self, Map.self, Temperature.self, Evacuate.self, CheckOut.self, CheckIn.self, SpaceReport.self, FindSpace.self])

    struct AddSite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-site")
        @OptionGroup var user: UserOptions
        @Option var code: String
        @Option var name: String
        @Option var kind: SiteKind
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.createSite(code: code, name: name, kind: kind, actor: try await user.principal(store, logger), logger: logger)
                }
                print("created site \(code)")
            }
        }
    }

    struct AddFreezer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-freezer")
        @OptionGroup var user: UserOptions
        @Option var id: String
        @Option var site: String
        @Option var kind: FreezerKind
        @Option var name: String
        @Option(help: "Warmest allowed temperature, °C (≤ -150).") var maxCelsius: Double
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.createFreezer(id: id, siteCode: site, kind: kind, name: name, maxCelsius: maxCelsius,
                                                  actor: try await user.principal(store, logger), logger: logger)
                }
                print("created freezer \(id)")
            }
        }
    }

    struct AddRack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-rack")
        @OptionGroup var user: UserOptions
        @Option var id: String
        @Option var freezer: String
        @Option var label: String
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.createRack(id: id, freezerId: freezer, label: label, actor: try await user.principal(store, logger), logger: logger)
                }
                print("created rack \(id)")
            }
        }
    }

    struct AddBox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-box")
        @OptionGroup var user: UserOptions
        @Option var id: String
        @Option var rack: String
        @Option var label: String
        @Option var rows = 9
        @Option var columns = 9
        func run() async throws {
            try await runReporting {
                try await Database.withStore { store, logger in
                    try await store.createBox(id: id, rackId: rack, label: label, rows: rows, columns: columns,
                                              actor: try await user.principal(store, logger), logger: logger)
                }
                print("created box \(id)")
            }
        }
    }

    struct Freezers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "freezers", abstract: "List freezers with occupancy.")
        @OptionGroup var user: UserOptions
        func run() async throws {
            try await runReporting {
                let list = try await Database.withStore { store, logger in
                    try await store.freezers(actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(list, user.format) { $0.map { "\($0.id)  \($0.siteCode)  \($0.kind)  ≤\($0.maxCelsius) °C  \($0.occupied)/\($0.capacity) positions used  \($0.name)" }.joined(separator: "\n") }
            }
        }
    }

    struct Map: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "map", abstract: "What is where in a freezer, box by box.")
        @OptionGroup var user: UserOptions
        @Argument var freezer: String
        func run() async throws {
            try await runReporting {
                let map = try await Database.withStore { store, logger in
                    try await store.freezerMap(id: freezer, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(map, user.format) { m in
                    var lines = ["freezer \(m.freezerId) (\(m.kind), \(m.siteCode)): \(m.occupied) occupied, \(m.free) free"]
                    for rack in m.racks {
                        for box in rack.boxes {
                            lines.append("rack \(rack.label) / box \(box.label) [\(box.id)] \(box.occupied)/\(box.rows * box.columns)")
                            for r in 1...box.rows {
                                let row = box.slots.filter { $0.row == r }.map { $0.vialId == nil ? "." : "#" }.joined()
                                lines.append("  \(Character(UnicodeScalar(UInt8(64 + r)))) \(row)")
                            }
                        }
                    }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }
}
