import ArgumentParser
import CryoDomain
import CryoReports
import CryoStore
import Foundation

extension VialCommand {
    struct Labels: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print vial labels: an A4 PDF sheet (3 x 10 labels of 2 x 1 in), or one label as PDF or PNG for a label printer.",
            discussion: "Each label carries the vial id with its check character as a Data Matrix and a Code 128, product, lot, expiry and storage condition.")
        @OptionGroup var auth: TokenOption
        @Option(help: "Label every vial of this lot.") var lot: String?
        @Option(name: .customLong("vial"), help: "Label this vial; repeat for more.") var vials: [String] = []
        @Option(help: "PDF file to write: an A4 sheet, or with --single one label per page of label size.") var output: String?
        @Flag(help: "With --output: one label per page, sized to the label, instead of an A4 sheet.") var single = false
        @Option(help: "PNG file to write with the first label (for label printers).") var png: String?
        @Option(help: "Resolution of the PNG.") var dpi = 600

        func validate() throws {
            guard (lot == nil) != vials.isEmpty else { throw ValidationError("give --lot or --vial (one or more), not both") }
            guard output != nil || png != nil else { throw ValidationError("give --output FILE.pdf and/or --png FILE.png") }
            guard (72...2400).contains(dpi) else { throw ValidationError("--dpi must be between 72 and 2400") }
        }

        func run() async throws {
            try await runReporting {
                let lot = self.lot, vials = self.vials
                let labels = try await Database.withStore { store, logger in
                    try await store.vialLabels(lotNumber: lot, vialIds: vials, actor: try await auth.principal(store, logger), logger: logger)
                }
                guard let first = labels.first else { throw DomainError.conflict(field: "lot", rule: "lot \(lot ?? "") has no vials yet") }
                if single && labels.count > 1 { throw DomainError.invalid(field: "single", rule: "--single writes one label; name one --vial") }
                do {
                    if let output {
                        if single {
                            try VialLabels.writeSingle(first, to: output)
                        } else {
                            try VialLabels.writeSheet(labels, to: output)
                        }
                        print("wrote \(labels.count) label\(labels.count == 1 ? "" : "s") to \(output)")
                    }
                    if let png {
                        try VialLabels.writePNG(first, to: png, dpi: dpi)
                        print("wrote the label of \(first.vialId) to \(png) (\(dpi) dpi)")
                    }
                } catch let error as ReportError {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }
}
