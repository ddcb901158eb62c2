import CryoDomain
import Foundation
import Logging
import PostgresNIO

public struct ImportOptions: Sendable {
    /// Validate and run every statement, then roll everything back.
    public var dryRun: Bool
    /// Rows per transaction.
    public var batchSize: Int
    public init(dryRun: Bool = false, batchSize: Int = 2000) {
        self.dryRun = dryRun; self.batchSize = batchSize
    }
}

public struct ImportProgress: Sendable {
    public var rowsDone: Int
    public var rowsTotal: Int
    public var inserted: Int
    public var unchanged: Int
    public var rejected: Int
    public var elapsed: Double
}

public struct ImportSummary: Sendable, Codable, Equatable {
    public var kind: String
    public var dryRun: Bool
    /// Data rows read (the header and blank lines are not rows).
    public var rows: Int = 0
    /// Rows written (in a dry run: rows that would have been written).
    public var inserted: Int = 0
    /// Rows already on record exactly as given (a re-run of the same file changes nothing).
    public var unchanged: Int = 0
    public var rejected: Int = 0
    public var batches: Int = 0
    public var custodyEvents: Int = 0
    public var seconds: Double = 0
    public var rejects: [RowReject] = []
}

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

    // MARK: Vials

    static func importVials(_ parsed: ([(CSVRecord, ImportRows.VialRow)], [RowReject]), actor: Principal,
                            on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        // Already on record: the same lot is a re-run (unchanged); another lot is a conflict.
        var existing: [String: String] = [:]
        for try await (id, lot) in try await conn.guardedQuery("SELECT id, lot_number FROM vial WHERE id = ANY(\(rows.map(\.1.vialId))::text[])", logger: logger)
            .decode((String, String).self) {
            existing[id] = lot
        }
        rows = rows.filter { record, row in
            guard let lot = existing[row.vialId] else { return true }
            if lot == row.lotNumber {
                outcome.unchanged += 1
            } else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "vial \(row.vialId) is already registered to lot \(lot)"))
            }
            return false
        }
        // The lots, locked in a fixed order: status, plan, vials so far.
        let lotNumbers = Array(Set(rows.map(\.1.lotNumber))).sorted()
        var lots: [String: (status: String, planned: Int, count: Int, maxOrdinal: Int)] = [:]
        for try await (number, status, planned, count, maxOrdinal) in try await conn.guardedQuery("""
            SELECT l.lot_number, l.status, l.planned_vials,
                   (SELECT count(*)::int FROM vial v WHERE v.lot_number = l.lot_number),
                   (SELECT coalesce(max(v.ordinal), 0)::int FROM vial v WHERE v.lot_number = l.lot_number)
            FROM lot l WHERE l.lot_number = ANY(\(lotNumbers)::text[]) ORDER BY l.lot_number FOR UPDATE
            """, logger: logger).decode((String, String, Int, Int, Int).self) {
            lots[number] = (status, planned, count, maxOrdinal)
        }
        var accepted: [(CSVRecord, (id: String, lot: String, ordinal: Int))] = []
        for (record, row) in rows {
            guard var lot = lots[row.lotNumber] else {
                outcome.rejects.append(RowReject(record, field: "lotNumber", rule: "no lot '\(row.lotNumber)' is registered"))
                continue
            }
            let status = try LotStatus(stored: lot.status)
            do {
                try LotRules.checkVialFilling(lotNumber: row.lotNumber, status: status, plannedVials: lot.planned,
                                              existingVials: lot.count, adding: 1, field: "lotNumber")
            } catch {
                outcome.rejects.append(RowReject(record, error)); continue
            }
            lot.count += 1
            lot.maxOrdinal += 1
            lots[row.lotNumber] = lot
            accepted.append((record, (row.vialId, row.lotNumber, lot.maxOrdinal)))
        }
        let result = try await writeRows(accepted, on: conn, logger: logger) { rows in
            let ids = rows.map(\.1.id), lotsOf = rows.map(\.1.lot), ordinals = rows.map(\.1.ordinal)
            try await conn.guardedQuery("""
                INSERT INTO vial (id, lot_number, ordinal)
                SELECT id, lot, ord FROM unnest(\(ids)::text[], \(lotsOf)::text[], \(ordinals)::int[]) AS u(id, lot, ord)
                """, logger: logger)
            try await Custody.append(rows.map { _, v in
                CustodyEntry(subjectType: "vial", subjectId: v.id, action: "vial.created", toState: VialStatus.stored.rawValue,
                             reason: "bulk import", details: ["lot": v.lot])
            }, by: actor, on: conn, logger: logger)
            return rows.count
        }
        outcome.add(result)
        return outcome
    }

    // MARK: Placements

    static func importPlacements(_ parsed: ([(CSVRecord, ImportRows.PlacementRow)], [RowReject]), actor: Principal,
                                 on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        // The vials, locked in id order, with where they are now.
        var vials: [String: (status: String, at: Position?)] = [:]
        for try await (id, status, box, r, c) in try await conn.guardedQuery("""
            SELECT v.id, v.status, p.box_id, p.row_no::int, p.column_no::int
            FROM vial v LEFT JOIN vial_position p ON p.vial_id = v.id
            WHERE v.id = ANY(\(rows.map(\.1.vialId))::text[]) ORDER BY v.id FOR UPDATE OF v
            """, logger: logger).decode((String, String, String?, Int?, Int?).self) {
            vials[id] = (status, box.flatMap { b in r.flatMap { r in c.map { Position(boxId: b, row: r, column: $0) } } })
        }
        var boxes: [String: (rows: Int, columns: Int)] = [:]
        for try await (id, r, c) in try await conn.guardedQuery("SELECT id, rows::int, columns::int FROM box WHERE id = ANY(\(Array(Set(rows.map(\.1.position.boxId))))::text[])",
                                                          logger: logger).decode((String, Int, Int).self) {
            boxes[id] = (r, c)
        }
        rows = rows.filter { record, row in
            guard let vial = vials[row.vialId] else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "no vial '\(row.vialId)' exists"))
                return false
            }
            if let at = vial.at {
                if at == row.position {
                    outcome.unchanged += 1
                } else {
                    outcome.rejects.append(RowReject(record, field: "vialId", rule: "vial \(row.vialId) is already placed at \(at.label); move it instead (cryoledger vial move)"))
                }
                return false
            }
            guard vial.status == VialStatus.stored.rawValue else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "only a stored vial can be placed in storage; vial \(row.vialId) is \(vial.status)"))
                return false
            }
            guard let box = boxes[row.position.boxId] else {
                outcome.rejects.append(RowReject(record, field: "boxId", rule: "no box '\(row.position.boxId)' exists"))
                return false
            }
            if row.position.row > box.rows {
                outcome.rejects.append(RowReject(record, field: "row", rule: "box \(row.position.boxId) has \(box.rows) rows; row \(row.position.row) is outside it"))
                return false
            }
            if row.position.column > box.columns {
                outcome.rejects.append(RowReject(record, field: "column", rule: "box \(row.position.boxId) has \(box.columns) columns; column \(row.position.column) is outside it"))
                return false
            }
            return true
        }
        // Positions already holding another vial.
        var occupant: [Position: String] = [:]
        for try await (box, r, c, vial) in try await conn.guardedQuery("""
            SELECT p.box_id, p.row_no::int, p.column_no::int, p.vial_id FROM vial_position p
            JOIN unnest(\(rows.map(\.1.position.boxId))::text[], \(rows.map(\.1.position.row))::int[], \(rows.map(\.1.position.column))::int[]) AS q(b, r, c)
              ON p.box_id = q.b AND p.row_no = q.r AND p.column_no = q.c
            """, logger: logger).decode((String, Int, Int, String).self) {
            occupant[Position(boxId: box, row: r, column: c)] = vial
        }
        rows = rows.filter { record, row in
            guard let other = occupant[row.position] else { return true }
            outcome.rejects.append(RowReject(record, field: "position", rule: "\(row.position.label) already holds vial \(other)", value: row.position.label))
            return false
        }
        let result = try await writeRows(rows, on: conn, logger: logger) { rows in
            try await conn.guardedQuery("""
                INSERT INTO vial_position (vial_id, box_id, row_no, column_no)
                SELECT id, b, r, c FROM unnest(\(rows.map(\.1.vialId))::text[], \(rows.map(\.1.position.boxId))::text[],
                                               \(rows.map(\.1.position.row))::int[], \(rows.map(\.1.position.column))::int[]) AS u(id, b, r, c)
                """, logger: logger)
            try await Custody.append(rows.map { _, p in
                CustodyEntry(subjectType: "vial", subjectId: p.vialId, action: "vial.placed", fromState: VialStatus.stored.rawValue,
                             toState: VialStatus.stored.rawValue, toLocation: p.position.label, reason: "bulk import")
            }, by: actor, on: conn, logger: logger)
            return rows.count
        }
        outcome.add(result)
        return outcome
    }

    // MARK: Donors

    static func importDonors(_ parsed: ([(CSVRecord, DonorRegistration)], [RowReject]), actor: Principal,
                             on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        var existing: [String: (eligibility: String, hla: [String])] = [:]
        for try await (code, eligibility, hla) in try await conn.guardedQuery("""
            SELECT d.code, d.eligibility, coalesce((SELECT array_agg(h.allele ORDER BY h.allele) FROM donor_hla h WHERE h.donor_code = d.code), '{}')
            FROM donor d WHERE d.code = ANY(\(rows.map(\.1.code))::text[])
            """, logger: logger).decode((String, String, [String]).self) {
            existing[code] = (eligibility, hla)
        }
        rows = rows.filter { record, donor in
            guard let on = existing[donor.code] else { return true }
            if on.eligibility != donor.eligibility.rawValue {
                outcome.rejects.append(RowReject(record, field: "eligibility", rule: "donor \(donor.code) is already registered as \(on.eligibility); change eligibility through its own operation"))
            } else if on.hla != donor.hla.sorted() {
                outcome.rejects.append(RowReject(record, field: "hla", rule: "donor \(donor.code) is already registered with HLA \(on.hla.joined(separator: " "))"))
            } else {
                outcome.unchanged += 1
            }
            return false
        }
        let result = try await writeRows(rows, on: conn, logger: logger) { rows in
            let donors = rows.map(\.1)
            try await conn.guardedQuery("""
                INSERT INTO donor (code, eligibility, eligibility_decided_at, registered_by)
                SELECT c, e, CASE WHEN e = 'pending' THEN NULL ELSE now() END, \(actor.id)
                FROM unnest(\(donors.map(\.code))::text[], \(donors.map(\.eligibility.rawValue))::text[]) AS u(c, e)
                """, logger: logger)
            let tests = donors.flatMap { d in d.screeningTests.map { (d.code, $0) } }
            if !tests.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO donor_screening_test (donor_code, test, result, tested_on)
                    SELECT * FROM unnest(\(tests.map(\.0))::text[], \(tests.map(\.1.test))::text[], \(tests.map(\.1.result))::text[],
                                         \(tests.map(\.1.testedOn.description))::date[])
                    """, logger: logger)
            }
            var hla: [(String, String, Int, String)] = []
            for d in donors {
                var copies: [HLALocus: Int] = [:]
                for allele in d.hla {
                    let locus = HLA.locus(of: allele)!
                    copies[locus, default: 0] += 1
                    hla.append((d.code, locus.rawValue, copies[locus]!, allele))
                }
            }
            if !hla.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO donor_hla (donor_code, locus, copy, allele)
                    SELECT * FROM unnest(\(hla.map(\.0))::text[], \(hla.map(\.1))::text[], \(hla.map(\.2))::smallint[], \(hla.map(\.3))::text[])
                    """, logger: logger)
            }
            try await Custody.append(donors.map { d in
                CustodyEntry(subjectType: "donor", subjectId: d.code, action: "donor.registered", toState: d.eligibility.rawValue, reason: "bulk import",
                             details: ["hla": d.hla.joined(separator: " "), "screeningTests": String(d.screeningTests.count)])
            }, by: actor, on: conn, logger: logger)
            return donors.count
        }
        outcome.add(result)
        return outcome
    }

    // MARK: Lots

    static func importLots(_ parsed: ([(CSVRecord, LotRegistration)], [RowReject]), actor: Principal,
                           on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        var products: [String: Int] = [:]
        for try await (code, days) in try await conn.guardedQuery("SELECT code, shelf_life_days FROM product WHERE code = ANY(\(Array(Set(rows.map(\.1.productCode))))::text[])",
                                                            logger: logger).decode((String, Int).self) {
            products[code] = days
        }
        var existing: [String: (product: String, donor: String, made: String, expires: String, cells: Int64, planned: Int)] = [:]
        for try await r in try await conn.guardedQuery("""
            SELECT lot_number, product_code, donor_code, to_char(manufactured_on, 'YYYY-MM-DD'), to_char(expires_on, 'YYYY-MM-DD'), cells_per_vial, planned_vials
            FROM lot WHERE lot_number = ANY(\(rows.map(\.1.lotNumber))::text[])
            """, logger: logger).decode((String, String, String, String, String, Int64, Int).self) {
            existing[r.0] = (r.1, r.2, r.3, r.4, r.5, r.6)
        }
        var donors: [String: String] = [:]
        for try await (code, eligibility) in try await conn.guardedQuery("""
            SELECT code, eligibility FROM donor WHERE code = ANY(\(Array(Set(rows.map(\.1.donorCode))).sorted())::text[]) ORDER BY code FOR SHARE
            """, logger: logger).decode((String, String).self) {
            donors[code] = eligibility
        }
        var accepted: [(CSVRecord, (LotRegistration, expires: CalendarDay))] = []
        for (record, lot) in rows {
            func reject(_ field: String, _ rule: String) { outcome.rejects.append(RowReject(record, field: field, rule: rule)) }
            guard let shelfLife = products[lot.productCode] else { reject("productCode", "no product '\(lot.productCode)' is defined"); continue }
            let expires = lot.expiresOn ?? lot.manufacturedOn.adding(days: shelfLife)
            if let on = existing[lot.lotNumber] {
                let differing: [(String, String, String)] = [
                    ("productCode", on.product, lot.productCode), ("donorCode", on.donor, lot.donorCode),
                    ("manufacturedOn", on.made, lot.manufacturedOn.description), ("expiresOn", on.expires, expires.description),
                    ("cellsPerVial", String(on.cells), String(lot.cellsPerVial)), ("vialCount", String(on.planned), String(lot.plannedVials)),
                ].filter { $0.1 != $0.2 }
                if let (field, was, _) = differing.first {
                    reject(field, "lot \(lot.lotNumber) is already registered with \(field) \(was)")
                } else {
                    outcome.unchanged += 1
                }
                continue
            }
            guard let eligibility = donors[lot.donorCode] else { reject("donorCode", "no donor '\(lot.donorCode)' is registered"); continue }
            let donorEligibility = try DonorEligibility(stored: eligibility)
            do {
                let checked = try LotRules.checkRegistration(donorCode: lot.donorCode, donorEligibility: donorEligibility, manufacturedOn: lot.manufacturedOn,
                                                             expiresOn: lot.expiresOn, shelfLifeDays: shelfLife)
                accepted.append((record, (lot, checked)))
            } catch {
                outcome.rejects.append(RowReject(record, error))
            }
        }
        let result = try await writeRows(accepted, on: conn, logger: logger) { rows in
            let lots = rows.map(\.1.0)
            try await conn.guardedQuery("""
                INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by, spec_version)
                SELECT n, p, d, m, e, c, v, \(actor.id),
                       (SELECT max(s.version) FROM spec_version s WHERE s.product_code = p AND s.effective_from <= m)
                FROM unnest(\(lots.map(\.lotNumber))::text[], \(lots.map(\.productCode))::text[], \(lots.map(\.donorCode))::text[],
                            \(lots.map(\.manufacturedOn.description))::date[], \(rows.map(\.1.expires.description))::date[],
                            \(lots.map { Int64($0.cellsPerVial) })::bigint[], \(lots.map(\.plannedVials))::int[]) AS u(n, p, d, m, e, c, v)
                """, logger: logger)
            try await Custody.append(rows.map { _, l in
                CustodyEntry(subjectType: "lot", subjectId: l.0.lotNumber, action: "lot.registered", toState: LotStatus.inProcess.rawValue, reason: "bulk import",
                             details: ["product": l.0.productCode, "donor": l.0.donorCode, "cellsPerVial": String(l.0.cellsPerVial),
                                       "expiresOn": l.expires.description])
            }, by: actor, on: conn, logger: logger)
            return lots.count
        }
        outcome.add(result)
        return outcome
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
