import CryoDomain
import Foundation
import Testing

/// Issue 13, item 9: no CSV the system writes may carry a cell a spreadsheet evaluates as a formula.
@Suite("CSV cells: quoting and formula neutralisation")
struct CSVCellTests {
    func cell(_ s: String) -> String {
        var out: [UInt8] = []
        CSVCell.append(s.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("a cell starting with = + - @ tab or CR is written as ' plus the text, quoted")
    func neutralised() {
        #expect(cell("=1+1") == "\"'=1+1\"")
        #expect(cell("+SUM(A1)") == "\"'+SUM(A1)\"")
        #expect(cell("-2+3+cmd|' /C calc'!A0") == "\"'-2+3+cmd|' /C calc'!A0\"")
        #expect(cell("@SUM(1)") == "\"'@SUM(1)\"")
        #expect(cell("\tx") == "\"'\tx\"")
        #expect(cell("\r=1") == "\"'\r=1\"")
        #expect(cell("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        // Text that looks like a negative number is text: neutralised too (only integer columns are exempt).
        #expect(cell("-150") == "\"'-150\"")
    }

    @Test("other cells keep RFC 4180 quoting only where needed")
    func plain() {
        #expect(cell("vial.moved") == "vial.moved")
        #expect(cell("") == "")
        #expect(cell("a, b") == "\"a, b\"")
        #expect(cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(cell("line\nbreak") == "\"line\nbreak\"")
        #expect(cell("1=1") == "1=1")
    }

    @Test("the rejects file neutralises rejected values and the record's own cells, and still reads back")
    func rejectsFile() throws {
        let reject = RowReject(row: 2, line: 3, field: "cellsPerVial", rule: "must be a positive integer", value: "-5",
                               record: ["=cmd|' /C calc'!A0", "-5"])
        let data = try RejectsCSV.encode(columns: ["lotNumber", "cellsPerVial"], rejects: [reject])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == "row,line,field,rule,value,lotNumber,cellsPerVial\n2,3,cellsPerVial,must be a positive integer,\"'-5\",\"'=cmd|' /C calc'!A0\",\"'-5\"\n")
        let rows = try CSVDocument.rows(data)
        #expect(rows.count == 2 && rows[1][4] == "'-5")
        // No cell of any record starts with a formula character.
        #expect(rows.allSatisfy { $0.allSatisfy { !CSVCell.isFormula($0.utf8) } })
    }
}
