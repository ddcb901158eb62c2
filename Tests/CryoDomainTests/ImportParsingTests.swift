import CryoDomain
import Foundation
import Testing

@Suite("CSV import: parsing and row validation")
struct ImportParsingTests {
    func records(_ doc: CSVDocument) throws -> [CSVRecord] {
        var it = try doc.records()
        var out: [CSVRecord] = []
        while let r = try it.next() { out.append(r) }
        return out
    }

    @Test("quoted fields with commas, doubled quotes and newlines; a byte-order mark; CRLF line endings; line numbers follow")
    func quoting() throws {
        let text = "\u{FEFF}code,eligibility,hla,screeningTests\r\n"
            + "DN-000010,eligible,\"A*02:01,\r\nA*24:02\",\"HIV-1/2 NAT=non-reactive@2026-01-02;HBV \"\"NAT\"\"=negative@2026-01-03\"\r\n"
            + "\r\n"
            + "DN-000011,pending,,\r\n"
        let doc = try CSVDocument(data: Data(text.utf8), kind: .donors)
        #expect(doc.columns == ["code", "eligibility", "hla", "screeningTests"])
        #expect(doc.recordCount == 2)
        let rows = try records(doc)
        #expect(rows.map(\.row) == [1, 2])
        #expect(rows.map(\.line) == [2, 5], "the first record spans lines 2-3, line 4 is blank")
        #expect(rows[0]["hla"] == "A*02:01,\r\nA*24:02")
        let donor = try ImportRows.donor(rows[0])
        #expect(donor.hla == ["A*02:01", "A*24:02"])
        #expect(donor.screeningTests.map(\.test) == ["HIV-1/2 NAT", "HBV \"NAT\""])
        #expect(try ImportRows.donor(rows[1]).eligibility == .pending)
    }

    @Test("header: any order and letter case; unknown, duplicate and missing columns are refused on line 1")
    func header() throws {
        let doc = try CSVDocument(data: Data("LOTNUMBER,vialid\nA501-1,CV0000000001O\n".utf8), kind: .vials)
        let row = try records(doc)[0]
        #expect(try ImportRows.vial(row) == ImportRows.VialRow(vialId: "CV0000000001O", lotNumber: "A501-1"))
        for (text, fragment) in [("vialId,lotNumber,colour\n", "unknown column 'colour'"), ("vialId,vialId,lotNumber\n", "appears twice"),
                                 ("vialId\n", "missing column lotNumber"), ("", "the file is empty")] {
            #expect { try CSVDocument(data: Data(text.utf8), kind: .vials) } throws: { error in
                guard let e = error as? CSVFormatError else { return false }
                return e.line == 1 && e.message.contains(fragment)
            }
        }
    }

    @Test("malformed records are refused one by one, naming the line: unclosed quote, wrong field count, bytes that are not UTF-8")
    func malformed() throws {
        var good = "vialId,lotNumber\n"
        for i in 1...20 { good += "\(VialID(serial: i).value),LOT-1\n" }
        let cases: [(Data, Int, String, Int)] = [
            (Data((good + "\"CV0000000021X,LOT-1\n" + good.dropFirst(17)).utf8), 22, "never closed", 41),
            (Data((good + "CV0000000021X,LOT-1,extra\n").utf8), 22, "expected 2 fields", 21),
            (Data((good + "CV0000000021X\n").utf8), 22, "found 1", 21),
            (Data(good.utf8) + Data([0x43, 0x56, 0xFF, 0xFE, 0x2C, 0x4C, 0x0A]), 22, "not UTF-8", 21),
        ]
        for (data, line, fragment, count) in cases {
            let all = try records(try CSVDocument(data: data, kind: .vials))
            #expect(all.count == count)
            let bad = all.filter { $0.problem != nil }
            #expect(bad.count == 1 && bad.first?.problem?.line == line && bad.first?.problem?.message.contains(fragment) == true, "\(bad.map(\.problem))")
        }
    }

    @Test("row validation uses the single operations' rules and names the column")
    func rows() throws {
        func record(_ values: [String: String]) -> CSVRecord {
            CSVRecord(row: 7, line: 8, values: Dictionary(uniqueKeysWithValues: values.map { ($0.key.lowercased(), $0.value) }), fields: Array(values.values))
        }
        func field(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let error as DomainError { return RowReject(record([:]), error).field } catch { return "\(error)" }
        }
        let good = VialID(serial: 5).value
        var bad = Array(good); bad[bad.count - 1] = bad.last == "A" ? "B" : "A"
        #expect(field { _ = try ImportRows.vial(record(["vialId": String(bad), "lotNumber": "LOT-1"])) } == "vialId")
        #expect(field { _ = try ImportRows.vial(record(["vialId": good, "lotNumber": "lot 1"])) } == "lotNumber")
        #expect(field { _ = try ImportRows.placement(record(["vialId": good, "boxId": "BOX-1", "row": "?", "column": "1"])) } == "row")
        #expect(field { _ = try ImportRows.placement(record(["vialId": good, "boxId": "BOX-1", "row": "1", "column": "27"])) } == "column")
        #expect(field { _ = try ImportRows.placement(record(["vialId": good, "boxId": "box 1", "row": "1", "column": "2"])) } == "boxId")
        #expect(field { _ = try ImportRows.lot(record(["lotNumber": "L-100", "productCode": "ALLO-501", "donorCode": "DN-000001",
                                                        "manufacturedOn": "2026-02-30", "cellsPerVial": "1", "vialCount": "2"])) } == "manufacturedOn")
        #expect(field { _ = try ImportRows.lot(record(["lotNumber": "L-100", "productCode": "ALLO-501", "donorCode": "DN-000001",
                                                        "manufacturedOn": "2026-02-10", "cellsPerVial": "many", "vialCount": "2"])) } == "cellsPerVial")
        #expect(field { _ = try ImportRows.donor(record(["code": "DN-1", "eligibility": "pending"])) } == "code")
        #expect(field { _ = try ImportRows.donor(record(["code": "DN-000002", "eligibility": "eligible", "hla": "A*02:01",
                                                          "screeningTests": "HIV=reactive@2026-01-01"])) } == "screeningTests[0].result")
        #expect(field { _ = try ImportRows.donor(record(["code": "DN-000002", "eligibility": "pending", "hla": "A*02:01 Q*01:01"])) } == "hla[1]")
    }

    @Test("the rejects file is CSV the importer can read back, original columns included")
    func rejectsFile() throws {
        let reject = RowReject(row: 3, line: 4, field: "vialId", rule: "check character does not match, \"really\"", value: "CV1", record: ["CV1", "LOT, 1"])
        let data = try RejectsCSV.encode(columns: ["vialId", "lotNumber"], rejects: [reject])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        #expect(text.hasPrefix("row,line,field,rule,value,vialId,lotNumber\n"))
        #expect(text.contains("\"check character does not match, \"\"really\"\"\""))
        #expect(text.contains("\"LOT, 1\""))
    }
}
