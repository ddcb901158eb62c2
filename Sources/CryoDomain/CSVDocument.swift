import CSV
import Foundation

/// A CSV file that is structurally sound: UTF-8, every quote closed, every record with as many fields
/// as the header, a header naming known columns. Parsing is done by yaslab/CSV.swift (RFC 4180: quoted
/// fields with embedded commas, quotes and newlines; a UTF-8 byte-order mark; CRLF or LF line endings);
/// this type adds what the library does not report: line numbers, unclosed quotes, invalid UTF-8 and
/// wrong field counts, each as a `CSVFormatError` naming the line.
///
/// Checking is a whole pass over the data before any record is handed out, so a malformed file is
/// refused before anything is written.
public struct CSVDocument: Sendable {
    public let data: Data
    /// The header's column names, in file order (byte-order mark and surrounding spaces removed).
    public let columns: [String]
    /// Number of data records (blank lines are not records).
    public let recordCount: Int

    /// Checks the structure of `data` against the columns `kind` knows.
    public init(data: Data, kind: ImportKind) throws(CSVFormatError) {
        self.data = data
        try Self.checkEncodingAndQuotes(data)
        var header: [String]?
        var count = 0
        do {
            try Self.scan(data) { record in
                guard let h = header else {
                    let names = record.fields.enumerated().map { i, name in
                        (i == 0 ? name.replacingOccurrences(of: "\u{FEFF}", with: "") : name).trimmingCharacters(in: .whitespaces)
                    }
                    try kind.checkHeader(names)
                    header = names
                    return
                }
                guard record.fields.count == h.count else {
                    throw CSVFormatError(line: record.line, message: "expected \(h.count) fields (\(h.joined(separator: ","))), found \(record.fields.count)")
                }
                count += 1
            }
        } catch let error as CSVFormatError {
            throw error
        } catch {
            throw CSVFormatError(line: 1, message: "cannot read the CSV: \(error)")
        }
        guard let header else { throw CSVFormatError(line: 1, message: "the file is empty; expected a header row: \(kind.columns.joined(separator: ","))") }
        self.columns = header
        self.recordCount = count
    }

    /// The check as a value (convenient where a typed `catch` is awkward).
    public static func checking(_ data: Data, kind: ImportKind) -> Result<CSVDocument, CSVFormatError> {
        do { return .success(try CSVDocument(data: data, kind: kind)) } catch { return .failure(error) }
    }

    /// The data records in order, with their row number (1 = first record after the header) and the line each starts on.
    public func records() throws -> RecordIterator {
        try RecordIterator(document: self)
    }

    /// Reads records one at a time (the file has been checked, so reading does not fail on structure).
    public struct RecordIterator {
        let columns: [String]
        var raw: RawIterator
        var row = 0
        var first = true

        init(document: CSVDocument) throws {
            columns = document.columns.map { $0.lowercased() }
            raw = try RawIterator(document.data)
        }

        public mutating func next() throws -> CSVRecord? {
            while let r = try raw.next() {
                if first { first = false; continue }
                row += 1
                var values: [String: String] = [:]
                for (name, value) in zip(columns, r.fields) { values[name] = value }
                return CSVRecord(row: row, line: r.line, values: values, fields: r.fields)
            }
            return nil
        }
    }

    struct RawRecord {
        var line: Int
        var fields: [String]
    }

    /// Runs the library's reader over `data`, tracking the line each record starts on; skips blank lines.
    struct RawIterator {
        let reader: CSVReader
        var line = 1

        init(_ data: Data) throws {
            reader = try CSVReader(stream: InputStream(data: data), hasHeaderRow: false, trimFields: false)
        }

        mutating func next() throws -> RawRecord? {
            while let fields = reader.next() {
                if let error = reader.error {
                    throw CSVFormatError(line: line, message: "cannot read the CSV: \(error)")
                }
                let start = line
                line += 1
                for f in fields { line += f.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
                if fields.count == 1 && fields[0].isEmpty { continue }
                return RawRecord(line: start, fields: fields)
            }
            if let error = reader.error {
                throw CSVFormatError(line: line, message: "cannot read the CSV: \(error)")
            }
            return nil
        }
    }

    /// Every record of any CSV data (the header included) as fields, through the same reader.
    public static func rows(_ data: Data) throws -> [[String]] {
        var out: [[String]] = []
        try scan(data) { out.append($0.fields) }
        return out
    }

    static func scan(_ data: Data, _ body: (RawRecord) throws -> Void) throws {
        var iterator = try RawIterator(data)
        while let record = try iterator.next() { try body(record) }
    }

    /// UTF-8 validity and balanced quotes, on the raw bytes, so the error can name the line.
    /// Under RFC 4180 every quote either opens or closes a quoted field or is doubled inside one,
    /// so an odd number of quotes at the end means a quoted field never closed.
    static func checkEncodingAndQuotes(_ data: Data) throws(CSVFormatError) {
        if String(validating: data, as: UTF8.self) == nil {
            var iterator = data.makeIterator()
            var codec = UTF8()
            var line = 1
            decoding: while true {
                switch codec.decode(&iterator) {
                case .scalarValue(let scalar): if scalar == "\n" { line += 1 }
                case .emptyInput: break decoding
                case .error: throw CSVFormatError(line: line, message: "not valid UTF-8 text (save the file as UTF-8)")
                }
            }
        }
        var inQuotes = false
        var line = 1, openedOn = 1
        for byte in data {
            if byte == 0x22 {
                inQuotes.toggle()
                if inQuotes { openedOn = line }
            } else if byte == 0x0A {
                line += 1
            }
        }
        if inQuotes {
            throw CSVFormatError(line: openedOn, message: "unclosed quote: a quoted field starting on line \(openedOn) never ends (a field containing a quote must be quoted and the quote doubled)")
        }
    }
}

/// One data record of a CSV import.
public struct CSVRecord: Sendable {
    /// 1 for the first record after the header.
    public var row: Int
    /// The line of the file the record starts on (the header is line 1).
    public var line: Int
    /// Values by lower-cased column name.
    public var values: [String: String]
    /// The fields as they were, in file order (for the rejects file).
    public var fields: [String]

    public init(row: Int, line: Int, values: [String: String], fields: [String]) {
        self.row = row; self.line = line; self.values = values; self.fields = fields
    }

    /// The value of a column, trimmed; nil when the column is absent or the value is empty.
    public subscript(_ column: String) -> String? {
        guard let v = values[column.lowercased()]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }
}

/// A CSV file that is not well-formed: the import stops and nothing of the file is written.
public struct CSVFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}

/// The rejects file of an import: `row,line,field,rule,value`, then the rejected record's own columns,
/// so the file can be read, fixed and imported again. Cells are written by `CSVCell`: a cell that starts like a
/// spreadsheet formula comes back with a leading `'` (a rejected value `=1+1` reads back as `'=1+1`); `row` and
/// `line` are integers.
public enum RejectsCSV {
    public static func encode(columns: [String], rejects: [RowReject]) throws -> Data {
        var out: [UInt8] = []
        CSVCell.appendRecord(["row", "line", "field", "rule", "value"] + columns, to: &out)
        for r in rejects {
            out.append(contentsOf: String(r.row).utf8)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: String(r.line).utf8)
            out.append(UInt8(ascii: ","))
            CSVCell.appendRecord([r.field, r.rule, r.value] + r.record, to: &out)
        }
        return Data(out)
    }
}
