import Foundation

/// A CSV file with a sound header: the first record names known columns. Records are read by `RFC4180Reader`
/// (strict RFC 4180, our own code): a record that is not well-formed (a bare quote, a quote never closed, a stray
/// carriage return, a NUL, bytes that are not UTF-8) or that has not as many fields as the header is handed out
/// with its `problem` (line and column) and becomes a reject of its own; no later record is lost, so every record
/// of the file is either imported or rejected.
///
/// Only a file without a usable header is refused as a whole (`CSVFormatError`, line 1).
public struct CSVDocument: Sendable {
    public let data: Data
    /// The header's column names, in file order (byte-order mark and surrounding spaces removed).
    public let columns: [String]
    /// Number of data records, malformed ones included (blank lines are not records).
    public let recordCount: Int

    /// Checks the header of `data` against the columns `kind` knows, and counts the records.
    public init(data: Data, kind: ImportKind) throws(CSVFormatError) {
        self.data = data
        var reader = RFC4180Reader(data)
        guard let first = reader.next() else {
            throw CSVFormatError(line: 1, message: "the file is empty; expected a header row: \(kind.columns.joined(separator: ","))")
        }
        if let problem = first.problem { throw CSVFormatError(line: problem.line, message: "the header: column \(problem.column): \(problem.message)") }
        let names = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        try kind.checkHeader(names)
        var count = 0
        while reader.next() != nil { count += 1 }
        self.columns = names
        self.recordCount = count
    }

    /// The check as a value (convenient where a typed `catch` is awkward).
    public static func checking(_ data: Data, kind: ImportKind) -> Result<CSVDocument, CSVFormatError> {
        do { return .success(try CSVDocument(data: data, kind: kind)) } catch { return .failure(error) }
    }

    /// The data records in order, with their row number (1 = first record after the header) and the line each starts on.
    public func records() throws -> RecordIterator {
        RecordIterator(document: self)
    }

    /// Reads records one at a time; a malformed record, or one with the wrong number of fields, carries its `problem`.
    public struct RecordIterator {
        let columns: [String]
        let names: [String]
        var reader: RFC4180Reader
        var row = 0

        init(document: CSVDocument) {
            columns = document.columns.map { $0.lowercased() }
            names = document.columns
            reader = RFC4180Reader(document.data)
            _ = reader.next()
        }

        public mutating func next() throws -> CSVRecord? {
            guard let item = reader.next() else { return nil }
            row += 1
            var problem = item.problem
            if problem == nil, item.fields.count != columns.count {
                // Too many: where the first extra field starts; too few: where the record ends.
                let at = reader.place(item.fields.count > columns.count ? item.fieldStarts[columns.count] : item.end)
                problem = CSVProblem(line: at.line, column: at.column,
                                     message: "expected \(columns.count) fields (\(names.joined(separator: ","))), found \(item.fields.count)")
            }
            guard let problem else {
                var values: [String: String] = [:]
                for (name, value) in zip(columns, item.fields) { values[name] = value }
                return CSVRecord(row: row, line: item.line, values: values, fields: item.fields)
            }
            let text = item.text.isEmpty ? reader.text(item.fieldStarts.first?.index ?? 0, item.end.index) : item.text
            return CSVRecord(row: row, line: item.line, values: [:], fields: [text], problem: problem)
        }
    }

    /// Every record of any CSV data (the header included) as fields, through the same reader; the first malformed
    /// record is an error.
    public static func rows(_ data: Data) throws -> [[String]] {
        var reader = RFC4180Reader(data)
        var out: [[String]] = []
        while let item = reader.next() {
            if let problem = item.problem { throw CSVFormatError(line: problem.line, message: "column \(problem.column): \(problem.message)") }
            out.append(item.fields)
        }
        return out
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
    /// The fields as they were, in file order (for the rejects file); for a malformed record, its raw text.
    public var fields: [String]
    /// Why the record is not RFC 4180, or has not as many fields as the header: the record is rejected as it is.
    public var problem: CSVProblem?

    public init(row: Int, line: Int, values: [String: String], fields: [String], problem: CSVProblem? = nil) {
        self.row = row; self.line = line; self.values = values; self.fields = fields; self.problem = problem
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
