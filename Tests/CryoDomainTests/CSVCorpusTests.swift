import CryoDomain
import Foundation
import Testing

/// The CSV corpus under Tests/Fixtures/csv: the kinds of cases CSV conformance corpora use (quoted commas, escaped
/// quotes, newlines in fields, CRLF, UTF-8, empty fields) and malformed ones, each with its expected outcome in
/// expected.json. Every record is either imported or rejected, and a malformed one is named by line and column.
@Suite("CSV import: RFC 4180 corpus")
struct CSVCorpusTests {
    struct Expected: Decodable {
        struct Reject: Decodable, Equatable { var line: Int; var column: Int? }
        var note: String
        var imported: Int
        var rejected: Int
        var rejects: [Reject]
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/csv")
    static let expected: [String: Expected] = {
        (try? JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))) ?? [:]
    }()

    /// Reads a donors file as the importer does (structure, then the donor rules); the database is not involved.
    static func outcome(_ data: Data) throws -> (imported: Int, rejects: [RowReject], records: Int) {
        let document = try CSVDocument(data: data, kind: .donors)
        var it = try document.records()
        var imported = 0, rejects: [RowReject] = []
        while let record = try it.next() {
            if let problem = record.problem { rejects.append(RowReject(malformed: record, problem)); continue }
            do { _ = try ImportRows.donor(record); imported += 1 } catch { rejects.append(RowReject(record, error)) }
        }
        return (imported, rejects, document.recordCount)
    }

    @Test("the corpus is there")
    func corpusPresent() {
        #expect(Self.expected.count >= 20)
    }

    @Test("each corpus file: imported and rejected counts, each reject's line and column", arguments: expected.keys.sorted())
    func corpusFile(_ name: String) throws {
        let want = try #require(Self.expected[name])
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let got = try Self.outcome(data)
        #expect(got.imported == want.imported, "\(name): \(want.note); rejects \(got.rejects.map { "\($0.line):\($0.column ?? 0) \($0.rule)" })")
        #expect(got.rejects.count == want.rejected, "\(name): \(got.rejects.map { "\($0.line):\($0.column ?? 0) \($0.rule)" })")
        #expect(got.rejects.map { Expected.Reject(line: $0.line, column: $0.column) } == want.rejects, "\(name): \(want.note)")
        #expect(got.imported + got.rejects.count == got.records, "every record is imported or rejected")
    }

    @Test("issue 24: a quote after a closing quote rejects that row, naming line and column, and the next row is read")
    func issueExample() throws {
        let got = try Self.outcome(Data("code,eligibility\nDN-555563,\"pend\"ing\nDN-555564,pending\n".utf8))
        #expect(got.imported == 1 && got.records == 2)
        let reject = try #require(got.rejects.first)
        #expect(reject.line == 2 && reject.column == 17 && reject.field == "record")
        #expect(reject.value == "DN-555563,\"pend\"ing", "the value is that row only, not the next one")
        #expect(reject.rule.contains("closing quote"))
    }

    @Test("a 1 MB quoted cell with commas, quotes and newlines is read whole, and the row after it too")
    func megabyteCell() throws {
        let chunk = "A*02:01, \"\"x\"\"\nB*07:02;"
        let cell = String(repeating: chunk, count: 1_048_576 / chunk.utf8.count + 1)
        let text = "code,eligibility,hla\nDN-000001,pending,\"\(cell)\"\nDN-000002,pending,A*02:01\nDN-000003,pending,\"\(cell)\"x\nDN-000004,pending,\n"
        let document = try CSVDocument(data: Data(text.utf8), kind: .donors)
        var it = try document.records()
        var records: [CSVRecord] = []
        while let r = try it.next() { records.append(r) }
        #expect(records.count == 4)
        #expect(records[0].problem == nil && records[0].values["hla"]?.utf8.count == cell.utf8.count - cell.utf8.filter { $0 == 0x22 }.count / 2)
        #expect(records[1].problem == nil && records[1]["code"] == "DN-000002")
        let lines = 2 + cell.utf8.filter { $0 == 0x0A }.count
        #expect(records[1].line == lines + 1)
        #expect(records[2].problem?.message.contains("closing quote") == true && records[2].problem?.line == records[2].line + lines - 2)
        #expect(records[2].fields.first?.count ?? 0 <= 1001, "a reject's value is shortened")
        #expect(records[3].problem == nil && records[3]["code"] == "DN-000004")
    }

    @Test("100,000 rows with a bare quote in row 50,000: 99,999 read, one rejected at its line and column")
    func hundredThousandRows() throws {
        var text = "code,eligibility\n"
        text.reserveCapacity(2_000_000)
        for i in 1...100_000 {
            text += i == 50_000 ? "DN-\(String(format: "%06d", i)),pend\"ing\n" : "DN-\(String(format: "%06d", i)),pending\n"
        }
        let got = try Self.outcome(Data(text.utf8))
        #expect(got.records == 100_000 && got.imported == 99_999)
        #expect(got.rejects.map { Expected.Reject(line: $0.line, column: $0.column) } == [.init(line: 50_001, column: 15)])
    }

    @Test("a header that is not well-formed refuses the file on line 1")
    func badHeader() {
        #expect { try CSVDocument(data: Data("code,\"eligibility\n".utf8), kind: .donors) } throws: { ($0 as? CSVFormatError)?.line == 1 }
        #expect { try CSVDocument(data: Data("code,elig\"ibility\n".utf8), kind: .donors) } throws: { ($0 as? CSVFormatError)?.line == 1 }
    }
}
