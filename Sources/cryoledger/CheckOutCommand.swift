import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

/// `--vial ID` or `--box ID`, exactly one.
struct CheckoutTargetOptions: ParsableArguments {
    @Option(help: "A vial id.") var vial: String?
    @Option(help: "A box id: every vial in it.") var box: String?

    func target() throws -> CheckoutTarget {
        switch (vial, box) {
        case (let v?, nil): return .vial(v)
        case (nil, let b?): return .box(b)
        default: throw DomainError.invalid(field: "vial", rule: "give --vial or --box, one of them")
        }
    }
}

extension StorageCommand {
    static func describe(_ records: [CheckoutRecord]) -> String {
        records.map { r in
            var line = "\(r.vialId)  \(r.position) (kept)  \(r.purpose)"
            if let m = r.minutesOut { line += "  \(m) min out, \(r.totalMinutesOut)/\(r.limitMinutes) min in total" }
            if let h = r.holdId { line += "  HELD (hold \(h)): time out of storage exceeded" }
            return line
        }.joined(separator: "\n")
    }

    struct CheckOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-out",
                                                        abstract: "Take a vial or a box out of its freezer for a while; positions stay reserved.")
        @OptionGroup var user: UserOptions
        @OptionGroup var what: CheckoutTargetOptions
        @Option(help: "inventory-check, shipment-pick or rack-maintenance.") var purpose: CheckoutPurpose
        func run() async throws {
            try await runReporting {
                let target = try what.target()
                let records = try await Database.withStore { store, logger in
                    try await store.checkOut(target, purpose: purpose, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(records, user.format) { StorageCommand.describe($0) }
            }
        }
    }

    struct CheckIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check-in",
                                                        abstract: "Put checked-out vials back; a vial past its product's time-out limit is held.")
        @OptionGroup var user: UserOptions
        @OptionGroup var what: CheckoutTargetOptions
        func run() async throws {
            try await runReporting {
                let target = try what.target()
                let records = try await Database.withStore { store, logger in
                    try await store.checkIn(target, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(records, user.format) { StorageCommand.describe($0) }
            }
        }
    }
}
