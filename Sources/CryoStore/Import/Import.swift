import CryoDomain
import Foundation
import Logging
import PostgresNIO

struct DryRunRollback: Error {}

/// The outcome of one batch, committed (or, in a dry run, rolled back) in one transaction.
struct BatchOutcome {
    var inserted = 0
    var unchanged = 0
    var events = 0
    var rejects: [RowReject] = []

    /// Adds what one `writeRows` call wrote and refused.
    mutating func add(_ result: (written: Int, events: Int, rejects: [RowReject])) {
        inserted += result.written
        events += result.events
        rejects += result.rejects
    }
}

extension Store {
    /// Imports a checked CSV document: every row validated with the rules of the single operation,
    /// good rows written in batches (one transaction each, custody events included), rejected rows
    /// reported with the field and the rule. Idempotent by natural key: a row already on record
    /// exactly as given is counted as unchanged; one on record with different values is rejected.
    public func importCSV(_ document: CSVDocument, kind: ImportKind, options: ImportOptions = ImportOptions(), actor: Principal,
                          logger: Logger, progress: @Sendable (ImportProgress) -> Void = { _ in }) async throws -> ImportSummary {
        try actor.require(kind.action)
        try Validator().require((1...50_000).contains(options.batchSize), "batchSize", "must be between 1 and 50000")
        let started = ContinuousClock.now
        var summary = ImportSummary(kind: kind.rawValue, dryRun: options.dryRun)
        var records = try document.records()
        var keys = ImportKeys()
        let total = document.recordCount

        func nextBatch() throws -> [CSVRecord] {
            var batch: [CSVRecord] = []
            batch.reserveCapacity(options.batchSize)
            while batch.count < options.batchSize, let r = try records.next() { batch.append(r) }
            return batch
        }
        func add(_ outcome: BatchOutcome, rows: Int) {
            summary.rows += rows
            summary.inserted += outcome.inserted
            summary.unchanged += outcome.unchanged
            summary.rejected += outcome.rejects.count
            summary.custodyEvents += outcome.events
            summary.batches += 1
            summary.rejects += outcome.rejects
            let elapsed = started.duration(to: .now)
            progress(ImportProgress(rowsDone: summary.rows, rowsTotal: total, inserted: summary.inserted, unchanged: summary.unchanged,
                                    rejected: summary.rejected, elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        }

        if options.dryRun {
            // One transaction for the whole file, rolled back: later batches see earlier ones, nothing stays.
            do {
                try await transaction(logger) { conn in
                    while case let batch = try nextBatch(), !batch.isEmpty {
                        let outcome = try await Self.importBatch(batch, kind: kind, keys: &keys, actor: actor, on: conn, logger: logger)
                        add(outcome, rows: batch.count)
                    }
                    throw DryRunRollback()
                }
            } catch is DryRunRollback {}
        } else {
            while case let batch = try nextBatch(), !batch.isEmpty {
                var batchKeys = keys
                let outcome = try await transaction(logger) { conn in
                    try await Self.importBatch(batch, kind: kind, keys: &batchKeys, actor: actor, on: conn, logger: logger)
                }
                keys = batchKeys
                add(outcome, rows: batch.count)
            }
        }
        let elapsed = started.duration(to: .now)
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        summary.rejects.sort { ($0.row, $0.field) < ($1.row, $1.field) }
        return summary
    }

    static func importBatch(_ batch: [CSVRecord], kind: ImportKind, keys: inout ImportKeys, actor: Principal,
                            on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        switch kind {
        case .vials:
            return try await importVials(parse(batch, ImportRows.vial, key: { "vial \($0.vialId)" }, keys: &keys), actor: actor, on: conn, logger: logger)
        case .placements:
            let (rows, rejects) = parse(batch, ImportRows.placement, key: { "vial \($0.vialId)" }, keys: &keys)
            // A position named twice in the file: the later row is refused.
            var kept: [(CSVRecord, ImportRows.PlacementRow)] = [], more = rejects
            for (record, row) in rows {
                if let first = keys.claim("position \(row.position.label)", row: record.row) {
                    more.append(RowReject(record, field: "position", rule: "row \(first) of this file already puts a vial at \(row.position.label)",
                                          value: row.position.label))
                } else {
                    kept.append((record, row))
                }
            }
            return try await importPlacements((kept, more), actor: actor, on: conn, logger: logger)
        case .donors:
            return try await importDonors(parse(batch, ImportRows.donor, key: { "donor \($0.code)" }, keys: &keys), actor: actor, on: conn, logger: logger)
        case .lots:
            return try await importLots(parse(batch, ImportRows.lot, key: { "lot \($0.lotNumber)" }, keys: &keys), actor: actor, on: conn, logger: logger)
        }
    }

    /// Domain validation of each record, and refusal of a natural key the file already used.
    static func parse<Row>(_ batch: [CSVRecord], _ validate: (CSVRecord) throws(DomainError) -> Row, key: (Row) -> String,
                           keys: inout ImportKeys) -> ([(CSVRecord, Row)], [RowReject]) {
        var rows: [(CSVRecord, Row)] = [], rejects: [RowReject] = []
        for record in batch {
            if let problem = record.problem {
                rejects.append(RowReject(malformed: record, problem))
                continue
            }
            do {
                let row = try validate(record)
                let k = key(row)
                if let first = keys.claim(k, row: record.row) {
                    let field = ImportKeys.field(of: k)
                    rejects.append(RowReject(record, field: field, rule: "duplicate: row \(first) of this file has the same \(field)"))
                } else {
                    rows.append((record, row))
                }
            } catch {
                rejects.append(RowReject(record, error))
            }
        }
        return (rows, rejects)
    }

    /// Writes rows with `write`, all at once under a savepoint. If the database refuses them, the rows are
    /// split in halves, each tried under its own savepoint, down to single rows: each row the database
    /// refuses becomes a reject with the constraint's field and rule, and every other row still commits.
    /// (A few refused rows in a large batch cost a few dozen statements, not one per row.)
    static func writeRows<Row>(_ rows: [(CSVRecord, Row)], on conn: PostgresConnection, logger: Logger,
                               _ write: ([(CSVRecord, Row)]) async throws -> Int) async throws -> (written: Int, events: Int, rejects: [RowReject]) {
        guard !rows.isEmpty else { return (0, 0, []) }
        try await conn.guardedQuery("SAVEPOINT import_rows", logger: logger)
        do {
            let events = try await write(rows)
            try await conn.guardedQuery("RELEASE SAVEPOINT import_rows", logger: logger)
            return (rows.count, events, [])
        } catch let error as PSQLError where error.serverInfo != nil && !DatabaseAvailability.isUnavailable(error) {
            try await conn.guardedQuery("ROLLBACK TO SAVEPOINT import_rows", logger: logger)
            try await conn.guardedQuery("RELEASE SAVEPOINT import_rows", logger: logger)
            guard rows.count > 1 else {
                if let domain = DatabaseErrors.map(error) as? DomainError {
                    return (0, 0, [RowReject(rows[0].0, domain)])
                }
                return (0, 0, [RowReject(rows[0].0, field: "row", rule: "refused by the database: \(error.serverInfo?[.message] ?? "\(error)")")])
            }
            logger.debug("import rows refused by the database; splitting", metadata: ["rows": "\(rows.count)", "error": "\(LogSafe.describe(error))"])
        }
        let half = rows.count / 2
        let a = try await writeRows(Array(rows[..<half]), on: conn, logger: logger, write)
        let b = try await writeRows(Array(rows[half...]), on: conn, logger: logger, write)
        return (a.written + b.written, a.events + b.events, a.rejects + b.rejects)
    }
}

/// Natural keys already used by earlier rows of the file, with the row that used each.
struct ImportKeys: Sendable {
    private var rows: [String: Int] = [:]

    /// Records `key` for `row`; returns the earlier row if the key was already used.
    mutating func claim(_ key: String, row: Int) -> Int? {
        if let first = rows[key] { return first }
        rows[key] = row
        return nil
    }

    static func field(of key: String) -> String {
        switch key.split(separator: " ").first {
        case "vial": return "vialId"
        case "donor": return "code"
        case "lot": return "lotNumber"
        default: return "position"
        }
    }
}
