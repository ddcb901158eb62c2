import Foundation

/// A strict RFC 4180 reader that goes on after a malformed record.
///
/// A record is fields separated by commas, ended by CRLF or LF (both are accepted, also mixed) or by the end of the
/// data. A field is either unquoted (no quote, CR or LF in it) or quoted: it starts with a quote, a quote inside is
/// doubled, and the closing quote is followed by a comma, the end of the line or the end of the data. Empty lines are
/// not records. A UTF-8 byte-order mark at the very start is skipped.
///
/// Whatever is not that is a `CSVProblem` naming the line and column (1-based, in characters) of the first offending
/// character, and the reader resumes so that no later record is lost:
/// - a quote inside an unquoted field, a character after a closing quote, or a CR not followed by LF: the rest of
///   that line is skipped, the next record starts on the next line (a lone CR counts as ending a line);
/// - a quoted field never closed: the record is the lines up to the one the quote opened on; the next record
///   starts on the following line (not at the end of the data);
/// - a NUL character or bytes that are not UTF-8: the record is read to its end as usual and refused.
public struct RFC4180Reader: Sendable {
    /// One record: its fields, or what is wrong with it. `line` is the line it starts on; `text` its raw
    /// text when it has a problem (for the reject), else empty.
    public struct Item: Sendable {
        public var line: Int
        public var fields: [String]
        public var problem: CSVProblem?
        public var text: String
        /// Where each field starts, and where the record ends (before its line ending); see `place(_:)`.
        public var fieldStarts: [Mark] = []
        public var end = Mark(line: 0, lineStart: 0, index: 0)
    }

    /// A byte position, turned into a line and column only when a problem needs it.
    public struct Mark: Sendable {
        var line: Int, lineStart: Int, index: Int
    }

    /// The line and column of a mark.
    public func place(_ mark: Mark) -> (line: Int, column: Int) {
        (mark.line, Self.characters(bytes[mark.lineStart..<mark.index]) + 1)
    }

    let bytes: [UInt8]
    var i: Int
    var line = 1
    var lineStart: Int

    public init(_ data: Data) {
        bytes = [UInt8](data)
        i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        lineStart = i
    }

    /// The next record, or nil at the end of the data.
    public mutating func next() -> Item? {
        skipBlankLines()
        guard i < bytes.count else { return nil }
        let start = i, startLine = line
        var fields: [String] = []
        var starts: [Mark] = []
        var problem: CSVProblem?
        func note(_ p: CSVProblem) { if problem == nil { problem = p } }

        var endMark = Mark(line: line, lineStart: lineStart, index: i)
        record: while true {
            var field: [UInt8] = []
            let fieldStart = i, fieldLine = line, fieldLineStart = lineStart
            starts.append(Mark(line: line, lineStart: lineStart, index: i))
            if i < bytes.count, bytes[i] == 0x22 {
                let openLine = line, openColumn = column(of: i)
                i += 1
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    if b == 0x22 {
                        if i + 1 < bytes.count, bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                        i += 1; closed = true; break
                    }
                    if b == 0x0A { line += 1; lineStart = i + 1 }
                    if b == 0 { note(problemHere("a NUL character is not allowed in a field")) }
                    field.append(b)
                    i += 1
                }
                guard closed else {
                    // Resume on the line after the one the quote opened on.
                    i = fieldStart
                    line = fieldLine; lineStart = fieldLineStart
                    skipToNextLine()
                    return Item(line: startLine, fields: [], problem: CSVProblem(
                        line: openLine, column: openColumn,
                        message: "a quoted field opened here is never closed (a quote inside a field must be doubled, and the field quoted)"),
                        text: text(start, i))
                }
                if i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x0A, !(bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A) {
                    return skipRest(start, startLine, problemHere("after a closing quote only a comma or the end of the line may follow"))
                }
            } else {
                while i < bytes.count {
                    let b = bytes[i]
                    if b == 0x2C || b == 0x0A { break }
                    if b == 0x0D {
                        if i + 1 < bytes.count, bytes[i + 1] == 0x0A { break }
                        // Taken as a line ending (old Mac files), so the record after it is still read.
                        let problem = problemHere("a carriage return not followed by a line feed (a field holding one must be quoted)")
                        i += 1
                        newLine()
                        return Item(line: startLine, fields: [], problem: problem, text: text(start, i))
                    }
                    if b == 0x22 {
                        return skipRest(start, startLine, problemHere("a quote inside an unquoted field (quote the whole field and double the quote: \"\"\"\")"))
                    }
                    if b == 0 { note(problemHere("a NUL character is not allowed in a field")) }
                    field.append(b)
                    i += 1
                }
            }
            if let text = String(validating: field, as: UTF8.self) {
                fields.append(text)
            } else {
                note(invalidUTF8(in: fieldStart, fieldLine, fieldLineStart))
                fields.append(String(decoding: field, as: UTF8.self))
            }
            let end = Mark(line: line, lineStart: lineStart, index: i)
            guard i < bytes.count else { endMark = end; break record }
            endMark = end
            switch bytes[i] {
            case 0x2C: i += 1
            case 0x0D: i += 2; newLine(); break record
            default: i += 1; newLine(); break record
            }
        }
        return Item(line: startLine, fields: fields, problem: problem, text: problem == nil ? "" : text(start, i), fieldStarts: starts, end: endMark)
    }

    /// The line and column of the current byte.
    func problemHere(_ message: String) -> CSVProblem {
        CSVProblem(line: line, column: column(of: i), message: message)
    }

    /// The first byte from `from` on that is not part of valid UTF-8, as a problem (lines counted from `line`).
    func invalidUTF8(in from: Int, _ line: Int, _ lineStart: Int) -> CSVProblem {
        var line = line, lineStart = lineStart, k = from
        while k < bytes.count {
            let b = bytes[k]
            let width = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            if width == 0 || k + width > bytes.count || String(validating: bytes[k..<k + width], as: UTF8.self) == nil { break }
            if b == 0x0A { line += 1; lineStart = k + 1 }
            k += width
        }
        return CSVProblem(line: line, column: Self.characters(bytes[lineStart..<k]) + 1, message: "bytes that are not UTF-8 text (save the file as UTF-8)")
    }

    func column(of index: Int) -> Int { Self.characters(bytes[lineStart..<index]) + 1 }

    /// Unicode scalars in `slice` (bytes that do not continue a sequence).
    static func characters(_ slice: ArraySlice<UInt8>) -> Int { slice.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

    mutating func newLine() { line += 1; lineStart = i }

    mutating func skipToNextLine() {
        while i < bytes.count, bytes[i] != 0x0A { i += 1 }
        if i < bytes.count { i += 1; newLine() }
    }

    mutating func skipRest(_ start: Int, _ startLine: Int, _ problem: CSVProblem) -> Item {
        skipToNextLine()
        return Item(line: startLine, fields: [], problem: problem, text: text(start, i))
    }

    mutating func skipBlankLines() {
        while i < bytes.count {
            if bytes[i] == 0x0A { i += 1; newLine() } else if bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 2; newLine() } else { return }
        }
    }

    /// The raw text of a record, without its line ending, shortened to 1,000 characters for a reject.
    func text(_ from: Int, _ to: Int) -> String {
        var end = to
        while end > from, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        let s = String(decoding: bytes[from..<end], as: UTF8.self)
        return s.count > 1000 ? String(s.prefix(1000)) + "…" : s
    }
}

/// What is not RFC 4180 in a record, and where.
public struct CSVProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public init(line: Int, column: Int, message: String) { self.line = line; self.column = column; self.message = message }
    public var description: String { "line \(line), column \(column): \(message)" }
}
