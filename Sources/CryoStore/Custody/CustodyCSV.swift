import CivilCalendar
import CryoDomain
import Logging
import NIOCore
import PostgresNIO

/// The CSV custody report, written straight from the rows PostgreSQL sends: each cell's bytes go into one
/// reusable output buffer (text copied, integers and the timestamp formatted by hand, hashes hex-encoded),
/// with no String, Date or Data per field. It is the only CSV writer of custody events (API, CLI and console
/// exports all come here): RFC 4180 quoting and formula neutralisation by `CSVCell`; NULL and '' both print as
/// an empty field; `id` and `seq` are integers, written as digits.
public enum CustodyCSV {
    public static let header = "id,subject_type,subject_id,seq,occurred_at_utc,action,actor_name,actor_role,from_state,to_state,from_location,to_location,reason,signature,details,prev_hash,hash\n"

    /// The columns in CSV order, over custody_event `e`. `occurred_at` comes as the binary timestamptz
    /// (microseconds since 2000-01-01 UTC) and is formatted here exactly as
    /// `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` renders it for the hash.
    static let selectList = """
        e.id, e.subject_type, e.subject_id, e.seq, e.occurred_at, e.action, e.actor_name, e.actor_role,
        e.from_state, e.to_state, e.from_location, e.to_location, e.reason, e.signature::text, e.details::text, e.prev_hash, e.hash
        """
    static let columnCount = 17

    /// Appends one record for a row of `selectList`.
    static func appendRecord(_ row: PostgresRow, to out: inout [UInt8]) throws {
        var column = 0
        for cell in row {
            if column > 0 { out.append(UInt8(ascii: ",")) }
            column += 1
            guard let bytes = cell.bytes else { continue }
            guard cell.format == .binary else { throw StoreError.unexpectedData("custody export: column \(cell.columnName) is not in binary format") }
            switch cell.dataType {
            case .text, .varchar:
                appendField(bytes, to: &out)
            case .int8:
                guard bytes.readableBytes == 8, let value = bytes.getInteger(at: bytes.readerIndex, as: Int64.self) else {
                    throw StoreError.unexpectedData("custody export: column \(cell.columnName) is not an int8")
                }
                appendDecimal(value, to: &out)
            case .timestamptz:
                guard bytes.readableBytes == 8, let value = bytes.getInteger(at: bytes.readerIndex, as: Int64.self) else {
                    throw StoreError.unexpectedData("custody export: column \(cell.columnName) is not a timestamptz")
                }
                appendTimestamp(microsecondsSince2000: value, to: &out)
            case .bytea:
                appendHex(bytes, to: &out)
            default:
                throw StoreError.unexpectedData("custody export: column \(cell.columnName) has unexpected type \(cell.dataType)")
            }
        }
        guard column == columnCount else { throw StoreError.unexpectedData("custody export: \(column) columns, expected \(columnCount)") }
        out.append(UInt8(ascii: "\n"))
    }

    /// UTF-8 text as one CSV field, through `CSVCell` (quoting, and neutralisation of cells that start like a formula).
    static func appendField(_ bytes: ByteBuffer, to out: inout [UInt8]) {
        bytes.withUnsafeReadableBytes { raw in CSVCell.append(raw, to: &out) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex, as `Data.hex`.
    static func appendHex(_ bytes: ByteBuffer, to out: inout [UInt8]) {
        bytes.withUnsafeReadableBytes { raw in
            hexDigits.withUnsafeBufferPointer { digits in
                for b in raw {
                    out.append(digits[Int(b >> 4)])
                    out.append(digits[Int(b & 0x0f)])
                }
            }
        }
    }

    /// Decimal, as `String(value)`.
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0) // 32 bytes of scratch: Int64 has at most 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[i...]))
        }
    }

    /// A non-negative `value` as at least `width` decimal digits, zero-padded on the left.
    static func appendPadded(_ value: Int64, width: Int, to out: inout [UInt8]) {
        var digits = 1, limit: Int64 = 10
        while digits < 19, value >= limit { digits += 1; limit &*= 10 }
        for _ in digits..<max(digits, width) { out.append(UInt8(ascii: "0")) }
        appendDecimal(value, to: &out)
    }

    /// 0...99 as two digits.
    @inline(__always)
    static func appendTwoDigits(_ value: Int64, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    /// `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` for a binary timestamptz: proleptic Gregorian
    /// calendar, as PostgreSQL; years BC print as their number (1 BC is 0001), years after 9999 with all their digits.
    /// ±infinity prints nothing (to_char gives NULL).
    static func appendTimestamp(microsecondsSince2000 us: Int64, to out: inout [UInt8]) {
        guard us != .max, us != .min else { return }
        let perDay: Int64 = 86_400_000_000
        var days = us / perDay, rem = us % perDay
        if rem < 0 { rem += perDay; days -= 1 }
        let civil = CivilCalendar.civil(fromDays: Int(days) + 10_957)
        let (year, month, day) = (Int64(civil.year), Int64(civil.month), Int64(civil.day))
        let seconds = rem / 1_000_000, micros = rem % 1_000_000
        appendPadded(year <= 0 ? 1 - year : year, width: 4, to: &out)
        out.append(UInt8(ascii: "-")); appendTwoDigits(month, to: &out)
        out.append(UInt8(ascii: "-")); appendTwoDigits(day, to: &out)
        out.append(UInt8(ascii: "T")); appendTwoDigits(seconds / 3_600, to: &out)
        out.append(UInt8(ascii: ":")); appendTwoDigits(seconds / 60 % 60, to: &out)
        out.append(UInt8(ascii: ":")); appendTwoDigits(seconds % 60, to: &out)
        out.append(UInt8(ascii: "."))
        appendTwoDigits(micros / 10_000, to: &out); appendTwoDigits(micros / 100 % 100, to: &out); appendTwoDigits(micros % 100, to: &out)
        out.append(UInt8(ascii: "Z"))
    }
}

extension Store {
    /// The CSV report of `scope` (header included), in the order of `exportCustody`, built in one reusable buffer:
    /// `write` receives it whenever it holds at least `chunkSize` bytes, and once more at the end.
    /// `limit: 0` only checks the scope and writes nothing.
    public func exportCustodyCSV(scope: ExportScope, actor: Principal, logger: Logger, chunkSize: Int = 1 << 20, limit: Int? = nil,
                                 _ write: ([UInt8]) async throws -> Void) async throws -> Int {
        try await checkExportScope(scope, actor: actor, logger: logger)
        if limit == 0 { return 0 }
        try await logAuditorExport(scope, actor: actor, logger: logger)
        let (condition, binds) = scope.condition
        let sql = "SELECT \(CustodyCSV.selectList) FROM custody_event e WHERE \(condition) ORDER BY \(scope.order)"
        return try await replicaRead(logger) { conn in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(chunkSize + 64 * 1024)
            buffer.append(contentsOf: CustodyCSV.header.utf8)
            var n = 0
            for try await row in try await conn.guardedQuery(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                try CustodyCSV.appendRecord(row, to: &buffer)
                n += 1
                if buffer.count >= chunkSize {
                    try await write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try await write(buffer)
            return n
        }
    }
}
