import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension StorageCommand {
    struct SitePrinter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "site-printer", abstract: "Set or remove a site's label printer (raw ZPL over TCP, port 9100 by default).")
        @OptionGroup var user: UserOptions
        @Option(help: "The site, e.g. SSF.") var site: String
        @Option(help: "The printer's host:port, e.g. 10.0.0.5:9100.") var address: String?
        @Flag(help: "Remove the site's printer.") var remove = false

        func validate() throws {
            guard (address == nil) == remove else { throw ValidationError("give --address HOST:PORT, or --remove") }
        }

        func run() async throws {
            try await runReporting {
                let site = self.site, address = self.address
                let set = try await Database.withStore { store, logger in
                    try await store.setSiteLabelPrinter(siteCode: site, address: address, actor: try await user.principal(store, logger), logger: logger)
                }
                print(set.address.map { "site \(set.siteCode) prints labels on \($0)" } ?? "site \(set.siteCode) has no label printer now")
            }
        }
    }
}

extension ProductCommand {
    struct ISBT128Codes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "isbt128", abstract: "Print ISBT 128 codes (DIN, product code, expiration) on a product's vial labels, or stop.",
            discussion: "The facility identification number comes from CRYOLEDGER_ISBT128_FIN; see docs/labels-isbt128.md.")
        @OptionGroup var user: UserOptions
        @Option(help: "The product, e.g. ALLO-501.") var product: String
        @Option(help: "ICCBBA product description code, a letter and four digits, e.g. S1194.") var description: String?
        @Option(help: "ISBT 128 type of donation, one character (e.g. V volunteer allogeneic, 0 not specified).") var donationType: String?
        @Flag(help: "Stop printing ISBT 128 codes for the product.") var off = false

        func validate() throws {
            guard off == (description == nil && donationType == nil), off || (description != nil && donationType != nil) else {
                throw ValidationError("give --description and --donation-type, or --off")
            }
        }

        func run() async throws {
            try await runReporting {
                let product = self.product, description = self.description, donationType = self.donationType
                try await Database.withStore { store, logger in
                    try await store.setProductISBT128(productCode: product, description: description, donationType: donationType,
                                                      actor: try await user.principal(store, logger), logger: logger)
                }
                print(description.map { "\(product) labels carry ISBT 128 product code \($0)\(donationType!)00" } ?? "\(product) labels carry no ISBT 128 codes now")
            }
        }
    }
}
