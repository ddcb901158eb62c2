import ArgumentParser
import CryoDomain
import CryoReports
import CryoStore
import Foundation

extension LotCommand {
    /// `cryoledger lot certificate LOT --format json|pdf --output FILE`
    struct Certificate: AsyncParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case json, pdf }

        static let configuration = CommandConfiguration(
            abstract: "The certificate of analysis of a released or rejected lot, as JSON or PDF.",
            discussion: "Product, lot, coded donor id, dates, each specified test with its limit and result, corrections, and the QA disposition with its electronic signature and custody event hash. JSON goes to standard output without --output.")
        @OptionGroup var auth: TokenOption
        @Argument var lotNumber: String
        @Option(help: "json or pdf") var format: Format = .json
        @Option(help: "File to write (required for pdf).") var output: String?

        func validate() throws {
            if format == .pdf && output == nil { throw ValidationError("--format pdf needs --output FILE") }
        }

        func run() async throws {
            try await runReporting {
                let coa = try await Database.withStore { store, logger in
                    try await store.certificateOfAnalysis(lotNumber: lotNumber, actor: try await auth.principal(store, logger), logger: logger)
                }
                let data: Data
                switch format {
                case .pdf:
                    data = try CertificatePDF.render(coa)
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    encoder.dateEncodingStrategy = .iso8601
                    data = try encoder.encode(coa) + Data("\n".utf8)
                }
                guard let output else {
                    FileHandle.standardOutput.write(data)
                    return
                }
                do { try data.write(to: URL(fileURLWithPath: output)) } catch {
                    throw DomainError.invalid(field: "output", rule: "cannot write \(output): \(error.localizedDescription)")
                }
                let d = coa.disposition
                print("wrote the certificate of analysis of lot \(coa.lot.lotNumber) (\(d.decision), \(d.kind); \(coa.tests.count) tests; signed by \(d.signature.printedName)) to \(output)")
            }
        }
    }
}
