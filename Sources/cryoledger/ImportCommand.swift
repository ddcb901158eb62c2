import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension ImportKind: ExpressibleByArgument {}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import donors, lots, vials or placements from a CSV file.",
        discussion: """
            Columns (header row, any order): donors code,eligibility[,hla,screeningTests]; lots lotNumber,productCode,donorCode,
            manufacturedOn,cellsPerVial,vialCount[,expiresOn]; vials vialId,lotNumber; placements vialId,boxId,row,column.
            hla: alleles separated by spaces; screeningTests: NAME=RESULT@YYYY-MM-DD separated by ';'.
            Good rows are committed in batches (one transaction each, custody events included); bad rows go to the rejects
            file with the row, line, field and rule. Re-running the same file changes nothing. A malformed file is refused
            before anything is written. Exit status: 0 all rows in (or already there), 2 some rows rejected, 1 error.
            """)

    @Argument(help: "donors, lots, vials or placements.") var kind: ImportKind
    @OptionGroup var user: UserOptions
    @Option(help: "The CSV file to import.") var input: String
    @Option(help: "Where to write rejected rows (default: INPUT with .rejects.csv).") var rejects: String?
    @Flag(help: "Check every row against the database, then roll everything back.") var dryRun = false
    @Option(help: "Rows per transaction.") var batchSize = 2000

    func run() async throws {
        var rejected = 0
        try await runReporting {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: input))
            } catch {
                throw DomainError.invalid(field: "input", rule: "cannot read \(input): \(error.localizedDescription)")
            }
            let document: CSVDocument
            switch CSVDocument.checking(data, kind: kind) {
            case .success(let checked):
                document = checked
            case .failure(let error):
                FileHandle.standardError.write(Data("error: \(input):\(error.line): \(error.message)\n".utf8))
                FileHandle.standardError.write(Data("nothing was imported\n".utf8))
                throw ExitCode(1)
            }
            let reporter = ProgressReporter(label: "import \(kind.rawValue)\(dryRun ? " (dry run)" : "")")
            let options = ImportOptions(dryRun: dryRun, batchSize: batchSize)
            let kind = self.kind
            let summary = try await Database.withStore { store, logger in
                try await store.importCSV(document, kind: kind, options: options, actor: try await user.principal(store, logger),
                                          logger: logger, progress: { reporter.update($0) })
            }
            reporter.finish()
            var rejectsPath: String?
            if !summary.rejects.isEmpty {
                let path = rejects ?? (input.hasSuffix(".csv") ? String(input.dropLast(4)) : input) + ".rejects.csv"
                try RejectsCSV.encode(columns: document.columns, rejects: summary.rejects).write(to: URL(fileURLWithPath: path))
                rejectsPath = path
            }
            rejected = summary.rejected
            Output.emit(summary, user.format) { s in
                var lines = [
                    "\(s.dryRun ? "dry run, nothing written: " : "")\(s.rows) rows: \(s.inserted) \(s.dryRun ? "would be imported" : "imported"), \(s.unchanged) already on record, \(s.rejected) rejected",
                    "\(s.custodyEvents) custody events, \(s.batches) batches, \(String(format: "%.2f", s.seconds)) s (\(ProgressReporter.number(Int(Double(s.rows) / max(s.seconds, 0.001)))) rows/s)",
                ]
                if let rejectsPath { lines.append("rejected rows with field and rule: \(rejectsPath)") }
                for r in s.rejects.prefix(5) { lines.append("  row \(r.row) (line \(r.line)): \(r.field): \(r.rule)") }
                if s.rejects.count > 5 { lines.append("  … \(s.rejects.count - 5) more in the rejects file") }
                return lines.joined(separator: "\n")
            }
        }
        if rejected > 0 { throw ExitCode(2) }
    }
}

/// Progress on standard error: a bar with rows per second and the time left on a terminal,
/// plain lines (at most one a second) when standard error is a file or a pipe.
final class ProgressReporter: @unchecked Sendable {
    let label: String
    let terminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var lastLine = -1.0
    private var drew = false

    init(label: String) { self.label = label }

    func update(_ p: ImportProgress) {
        lock.lock(); defer { lock.unlock() }
        let rate = p.elapsed > 0 ? Double(p.rowsDone) / p.elapsed : 0
        let left = rate > 0 ? Double(p.rowsTotal - p.rowsDone) / rate : 0
        let fraction = p.rowsTotal > 0 ? Double(p.rowsDone) / Double(p.rowsTotal) : 1
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let text = "\r\(label) [\(bar)] \(Self.number(p.rowsDone))/\(Self.number(p.rowsTotal)) rows  \(Self.number(Int(rate))) rows/s  ETA \(Self.duration(left))  \(p.rejected) rejected\u{1B}[K"
            FileHandle.standardError.write(Data(text.utf8))
            drew = true
        } else if p.elapsed - lastLine >= 1 || p.rowsDone == p.rowsTotal {
            lastLine = p.elapsed
            let text = "\(label): \(Self.number(p.rowsDone))/\(Self.number(p.rowsTotal)) rows (\(Int(fraction * 100))%), \(Self.number(Int(rate))) rows/s, \(Self.duration(left)) left, \(p.rejected) rejected\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if terminal && drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func number(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
