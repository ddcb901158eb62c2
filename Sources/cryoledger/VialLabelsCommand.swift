import ArgumentParser
import CryoDomain
import CryoReports
import CryoStore
import Foundation

extension VialCommand {
    struct Labels: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print vial labels: an A4 PDF sheet (3 x 10 labels of 2 x 1 in), one label as PDF or PNG, ZPL II for thermal label printers, or straight to a site's printer.",
            discussion: "Each label carries the vial id with its check character as a Data Matrix and a Code 128, product, lot, expiry and storage condition.")
        @OptionGroup var auth: TokenOption
        @Option(help: "Label every vial of this lot.") var lot: String?
        @Option(name: .customLong("vial"), help: "Label this vial; repeat for more.") var vials: [String] = []
        @Option(help: "PDF file to write: an A4 sheet, or with --single one label per page of label size.") var output: String?
        @Flag(help: "With --output: one label per page, sized to the label, instead of an A4 sheet.") var single = false
        @Option(help: "PNG file to write with the first label (for label printers).") var png: String?
        @Option(help: "Resolution of the PNG.") var dpi = 600
        @Option(help: "ZPL II file to write (- for standard output): one 2 x 1 in label at 300 dpi per vial, for thermal label printers.") var zpl: String?
        @Flag(help: "With --lot: send the labels as ZPL to the label printer of --site (see `storage site-printer`), or to --printer.") var print = false
        @Option(help: "With --print: the site whose label printer prints.") var site: String?
        @Option(help: "With --print: the printer's host:port (9100 when left out), instead of a site's.") var printer: String?

        func validate() throws {
            guard (lot == nil) != vials.isEmpty else { throw ValidationError("give --lot or --vial (one or more), not both") }
            guard output != nil || png != nil || zpl != nil || print else {
                throw ValidationError("give --output FILE.pdf, --png FILE.png, --zpl FILE.zpl and/or --print")
            }
            if print {
                guard lot != nil else { throw ValidationError("--print sends a lot's labels: give --lot") }
                guard (site == nil) != (printer == nil) else { throw ValidationError("--print needs --site SITE or --printer HOST:PORT (one of them)") }
            }
            guard (72...2400).contains(dpi) else { throw ValidationError("--dpi must be between 72 and 2400") }
        }

        func run() async throws {
            try await runReporting {
                let lot = self.lot, vials = self.vials
                if print, let lot {
                    let site = self.site, printer = self.printer
                    let result = try await Database.withStore { store, logger in
                        try await LabelPrintJob.printLot(lot, siteCode: site, printer: printer, store: store,
                                                         actor: try await auth.principal(store, logger), logger: logger)
                    }
                    Swift.print(result.sentence)
                    if output == nil && png == nil && zpl == nil { return }
                }
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
                        Swift.print("wrote \(labels.count) label\(labels.count == 1 ? "" : "s") to \(output)")
                    }
                    if let zpl {
                        let text = ZPLLabels.render(labels)
                        if zpl == "-" {
                            FileHandle.standardOutput.write(Data(text.utf8))
                        } else {
                            do { try text.write(toFile: zpl, atomically: true, encoding: .utf8) } catch {
                                throw ReportError.file("cannot write \(zpl): \(error.localizedDescription)")
                            }
                            Swift.print("wrote \(labels.count) ZPL label\(labels.count == 1 ? "" : "s") to \(zpl) (2 x 1 in, 300 dpi)")
                        }
                    }
                    if let png {
                        try VialLabels.writePNG(first, to: png, dpi: dpi)
                        Swift.print("wrote the label of \(first.vialId) to \(png) (\(dpi) dpi)")
                    }
                } catch let error as ReportError {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }
}
