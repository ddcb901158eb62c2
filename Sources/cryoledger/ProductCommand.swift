import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "product", abstract: "Products and their release specifications.",
                                                    subcommands: [List.self, Show.self, ISBT128Codes.self])

    static func describe(_ p: ProductRecord) -> String {
        var lines = ["\(p.code)  \(p.name)  shelf life \(p.shelfLifeDays) d  \(p.storageCondition) (≤ \(p.storageMaxCelsius) °C)  thaw-to-infusion ≤ \(p.thawToInfusionMinutes) min  spec v\(p.specVersion ?? 0)"]
        for t in p.specification {
            let limit = t.kind == "numeric"
                ? [t.min.map { "≥ \($0)" }, t.max.map { "≤ \($0)" }].compactMap { $0 }.joined(separator: " and ") + " \(t.unit ?? "")"
                : "\"\(t.expected ?? "")\""
            lines.append("  \(t.code): \(t.name) \(limit)")
        }
        return lines.joined(separator: "\n")
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var user: UserOptions
        func run() async throws {
            try await runReporting {
                let products = try await Database.withStore { store, logger in
                    try await store.products(actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(products, user.format) { $0.map(ProductCommand.describe).joined(separator: "\n") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        @OptionGroup var user: UserOptions
        @Argument var code: String
        func run() async throws {
            try await runReporting {
                let product = try await Database.withStore { store, logger in
                    try await store.product(code: code, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(product, user.format) { ProductCommand.describe($0) }
            }
        }
    }
}
