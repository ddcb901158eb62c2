import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

@Suite("Bulk import")
struct ImportTests {
    static let logger = TestDatabase.logger

    func document(_ text: String, _ kind: ImportKind) throws -> CSVDocument {
        try CSVDocument(data: Data(text.utf8), kind: kind)
    }

    @Test("10,000 vial rows with 3 % bad rows of ten kinds: every good row in with its custody event, every bad row rejected naming its field; a second run adds nothing")
    func tenThousandVials() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            try await f.lot("LOT-A", planned: 6000)
            try await f.lot("LOT-B", planned: 6000)
            try await f.lot("LOT-FULL", vials: 10, planned: 10)
            let taken = try await f.lot("LOT-OTHER", vials: 30, planned: 30).map(\.id)
            // A rule only this database has: the database, not the importer, refuses these rows.
            try await f.client.query("ALTER TABLE vial ADD CONSTRAINT test_refuses_99 CHECK (left(id, 10) <> 'CV00099000')", logger: Self.logger)

            var text = "\u{FEFF}vialId,lotNumber\r\n"
            var expected: [Int: String] = [:]   // row -> field of the rejection
            var good: [String] = []
            var kindCount = 0
            for i in 0..<10_000 {
                let row = i + 1
                let id = VialID(serial: 1_000_000 + i).value
                guard [7, 41, 77].contains(i % 100) else {
                    let lot = i % 2 == 0 ? "LOT-A" : "LOT-B"
                    text += i % 7 == 0 ? "\"\(id)\",\"\(lot)\"\r\n" : "\(id),\(lot)\r\n"
                    good.append(id)
                    continue
                }
                let n = kindCount / 10
                switch kindCount % 10 {
                case 0:
                    var chars = Array(id); chars[chars.count - 1] = chars.last == "A" ? "B" : "A"
                    text += "\(String(chars)),LOT-A\r\n"; expected[row] = "vialId"
                case 1: text += "CV12345,LOT-A\r\n"; expected[row] = "vialId"
                case 2: text += ",LOT-B\r\n"; expected[row] = "vialId"
                case 3: text += "XX\(id.dropFirst(2)),LOT-A\r\n"; expected[row] = "vialId"
                case 4: text += "\(id),LOT-NONE\r\n"; expected[row] = "lotNumber"
                case 5: text += "\(id),\"lot, a\"\r\n"; expected[row] = "lotNumber"
                case 6: text += "\(id),LOT-FULL\r\n"; expected[row] = "lotNumber"
                case 7: text += "\(good[n * 3]),LOT-A\r\n"; expected[row] = "vialId"       // the same id as an earlier row
                case 8: text += "\(taken[n]),LOT-B\r\n"; expected[row] = "vialId"           // already in LOT-OTHER
                default: text += "\(VialID(serial: 9_900_000 + n).value),LOT-A\r\n"; expected[row] = "test_refuses_99"
                }
                kindCount += 1
            }
            #expect(expected.count == 300 && good.count == 9_700)
            let doc = try document(text, .vials)
            #expect(doc.recordCount == 10_000)
            let eventsBefore = try await f.count("SELECT count(*)::int FROM custody_event")

            let first = try await f.store.importCSV(doc, kind: .vials, options: ImportOptions(batchSize: 2000), actor: mfg, logger: Self.logger)
            #expect(first.rows == 10_000)
            #expect(first.inserted == 9_700)
            #expect(first.rejected == 300)
            #expect(first.custodyEvents == 9_700)
            var byRow: [Int: RowReject] = [:]
            for r in first.rejects { byRow[r.row] = r }
            #expect(byRow.count == 300)
            for (row, field) in expected {
                #expect(byRow[row]?.field == field, "row \(row): \(String(describing: byRow[row]))")
                #expect(byRow[row]?.rule.isEmpty == false)
                #expect(byRow[row]?.line == row + 1)
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number IN ('LOT-A', 'LOT-B')") == 9_700)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == eventsBefore + 9_700)
            #expect(try await f.count("""
                SELECT count(*)::int FROM vial v WHERE v.lot_number IN ('LOT-A', 'LOT-B')
                AND EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'vial' AND e.subject_id = v.id AND e.action = 'vial.created')
                """) == 9_700)
            #expect(try await f.count("SELECT count(DISTINCT ordinal)::int FROM vial WHERE lot_number = 'LOT-A'") == 5_000)

            // The rejects file has every bad row, with its field and rule, and reads back as CSV.
            let rejects = try RejectsCSV.encode(columns: doc.columns, rejects: first.rejects)
            let back = try CSVDocument.readRejects(rejects)
            #expect(back.count == 300)
            #expect(Set(back.map { Int($0[0])! }) == Set(expected.keys))
            #expect(back.allSatisfy { !$0[2].isEmpty && !$0[3].isEmpty })

            let second = try await f.store.importCSV(doc, kind: .vials, actor: mfg, logger: Self.logger)
            #expect(second.inserted == 0)
            #expect(second.unchanged == 9_700)
            #expect(second.rejected == 300)
            #expect(second.custodyEvents == 0)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number IN ('LOT-A', 'LOT-B')") == 9_700)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == eventsBefore + 9_700)

            // Imported ids coexist with allocated ones: the sequence has moved past them.
            try await f.lot("LOT-NEXT", planned: 5)
            let next = try await f.store.createVials(lotNumber: "LOT-NEXT", count: 2, boxId: nil, actor: mfg, logger: Self.logger)
            #expect(next.allSatisfy { Int($0.id.dropFirst(2).prefix(10))! > 1_009_999 })
        }
    }

    @Test("a dry run reports what would happen and writes nothing")
    func dryRun() async throws {
        try await withFixture { f in
            try await f.lot("LOT-D", planned: 50)
            var text = "vialId,lotNumber\n"
            for i in 1...40 { text += "\(VialID(serial: 500 + i).value),LOT-D\n" }
            text += "\(VialID(serial: 501).value),LOT-D\n"   // duplicate of row 1
            let before = try await f.count("SELECT count(*)::int FROM custody_event")
            let summary = try await f.store.importCSV(try document(text, .vials), kind: .vials, options: ImportOptions(dryRun: true, batchSize: 16),
                                                      actor: f.user(.manufacturing), logger: Self.logger)
            #expect(summary.dryRun && summary.inserted == 40 && summary.rejected == 1 && summary.batches == 3)
            #expect(summary.rejects.first?.field == "vialId")
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number = 'LOT-D'") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == before)
        }
    }

    @Test("a malformed record is one reject naming its line and column; every other record is imported")
    func malformedRecordsRejected() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-M", planned: 3000)
            var good = "vialId,lotNumber\n"
            for i in 1...2500 { good += "\(VialID(serial: 70_000 + i).value),LOT-M\n" }
            let next = "\(VialID(serial: 80_001).value),LOT-M\n"
            let cases: [(Data, Int, Int)] = [
                (Data((good + "\"\(VialID(serial: 80_000).value),LOT-M\n" + next).utf8), 2502, 1),
                (Data((good + "\(VialID(serial: 80_000).value),LOT-M,BOX-1\n" + next).utf8), 2502, 21),
                (Data(good.utf8) + Data([0xC3, 0x28]) + Data(",LOT-M\n".utf8) + Data(next.utf8), 2502, 1),
            ]
            for (n, (data, line, column)) in cases.enumerated() {
                let (status, body) = try await http.importCSV(data, kind: "vials", token: f.tokens[.manufacturing])
                #expect(status == .ok, "\(body)")
                #expect(body["rows"] as? Int == 2502)
                #expect(body["inserted"] as? Int == (n == 0 ? 2501 : 0), "the first run imports the good rows and the row after the bad one")
                #expect(body["rejected"] as? Int == 1)
                let reject = (body["rejects"] as? [[String: Any]])?.first
                #expect(reject?["line"] as? Int == line && reject?["column"] as? Int == column && reject?["field"] as? String == "record", "\(body)")
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number = 'LOT-M'") == 2501)
        }
    }

    @Test("issue 24: a donors file with a quote after a closing quote gives two rows, one imported, one rejected at line 2 column 17")
    func issueBareQuote() async throws {
        try await withApp { f, http in
            let csv = Data("code,eligibility\nDN-555563,\"pend\"ing\nDN-555564,pending\n".utf8)
            let (status, body) = try await http.importCSV(csv, kind: "donors", token: f.tokens[.manufacturing])
            #expect(status == .ok)
            #expect(body["rows"] as? Int == 2 && body["inserted"] as? Int == 1 && body["rejected"] as? Int == 1, "\(body)")
            let reject = (body["rejects"] as? [[String: Any]])?.first
            #expect(reject?["line"] as? Int == 2 && reject?["column"] as? Int == 17)
            #expect(reject?["value"] as? String == "DN-555563,\"pend\"ing")
            #expect(try await f.count("SELECT count(*)::int FROM donor WHERE code = 'DN-555564'") == 1)
            let (headerStatus, problem) = try await http.importCSV(Data("code,\"eligibility\nDN-555565,pending\n".utf8), kind: "donors", token: f.tokens[.manufacturing])
            #expect(headerStatus == .badRequest && (problem["rule"] as? String)?.hasPrefix("line 1:") == true)
        }
    }

    @Test("importBatch over HTTP: text/csv in, summary with rejects out; manufacturing only; dryRun")
    func api() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-H", planned: 10)
            let csv = "vialId,lotNumber\n\(VialID(serial: 901).value),LOT-H\n\(VialID(serial: 902).value),LOT-NOPE\n"
            var (status, body) = try await http.importCSV(Data(csv.utf8), kind: "vials", token: f.tokens[.pharmacy])
            #expect(status == .forbidden)
            (status, body) = try await http.importCSV(Data(csv.utf8), kind: "vials", dryRun: true, token: f.tokens[.manufacturing])
            #expect(status == .ok && body["dryRun"] as? Bool == true && body["inserted"] as? Int == 1)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number = 'LOT-H'") == 0)
            (status, body) = try await http.importCSV(Data(csv.utf8), kind: "vials", token: f.tokens[.manufacturing])
            #expect(status == .ok)
            #expect(body["inserted"] as? Int == 1 && body["rejected"] as? Int == 1 && body["custodyEvents"] as? Int == 1)
            let reject = (body["rejects"] as? [[String: Any]])?.first
            #expect(reject?["row"] as? Int == 2 && reject?["line"] as? Int == 3 && reject?["field"] as? String == "lotNumber")
            (status, body) = try await http.importCSV(Data(csv.utf8), kind: "vials", token: f.tokens[.manufacturing])
            #expect(status == .ok && body["inserted"] as? Int == 0 && body["unchanged"] as? Int == 1)
        }
    }

    @Test("donors and lots: the single operations' rules per row, idempotent by code and lot number, differences rejected")
    func donorsAndLots() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            let donors = """
                code,eligibility,hla,screeningTests
                DN-000200,eligible,A*02:01 A*24:02 B*07:02,HIV-1/2 NAT=non-reactive@2026-01-02;HBV NAT=negative@2026-01-02
                DN-000201,pending,"A*01:01, B*08:01",
                DN-000202,eligible,A*02:01,
                DN-000203,ineligible,A*02:01 A*03:01 A*11:01,
                DN-000001,pending,,
                DN-000204,ineligible,,HIV-1/2 NAT=reactive@2026-01-02

                """
            var s = try await f.store.importCSV(try document(donors, .donors), kind: .donors, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 3 && s.rejected == 3, "\(s.rejects)")
            #expect(s.rejects.map(\.field) == ["screeningTests", "hla[2]", "eligibility"])
            let d = try await f.store.donor(code: "DN-000200", actor: mfg, logger: Self.logger)
            #expect(d.hla == ["A*02:01", "A*24:02", "B*07:02"] && d.screeningTests.count == 2 && d.eligibility == .eligible)
            s = try await f.store.importCSV(try document(donors, .donors), kind: .donors, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 0 && s.unchanged == 3 && s.rejected == 3)

            let lots = """
                lotNumber,productCode,donorCode,manufacturedOn,cellsPerVial,vialCount,expiresOn
                A501-30001,ALLO-501,DN-000200,2026-03-01,40000000,100,
                A501-30002,ALLO-501,DN-000204,2026-03-01,40000000,100,
                A501-30003,ALLO-999,DN-000200,2026-03-01,40000000,100,
                A501-30004,ALLO-501,DN-000200,2026-03-01,40000000,100,2028-03-01
                A501-30005,ALLO-501,DN-000999,2026-03-01,40000000,100,
                A501-30006,ALLO-501,DN-000201,2026-03-02,60000000,24,2026-12-01
                """
            s = try await f.store.importCSV(try document(lots, .lots), kind: .lots, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 2, "\(s.rejects)")
            #expect(s.rejects.map(\.field) == ["donorCode", "productCode", "expiresOn", "donorCode"])
            let lot = try await f.store.lot(number: "A501-30006", actor: mfg, logger: Self.logger)
            #expect(lot.expiresOn == "2026-12-01" && lot.plannedVials == 24 && lot.status == .inProcess)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'lot.registered' AND subject_id LIKE 'A501-3000%'") == 2)
            s = try await f.store.importCSV(try document(lots, .lots), kind: .lots, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 0 && s.unchanged == 2 && s.rejected == 4)
            let changed = "lotNumber,productCode,donorCode,manufacturedOn,cellsPerVial,vialCount\nA501-30001,ALLO-501,DN-000200,2026-03-01,40000000,120\n"
            s = try await f.store.importCSV(try document(changed, .lots), kind: .lots, actor: mfg, logger: Self.logger)
            #expect(s.rejects.map(\.field) == ["vialCount"])
        }
    }

    @Test("placements: box by box, idempotent when the vial is already there; occupied positions and vials placed elsewhere are rejected")
    func placements() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            let placed = try await f.lot("LOT-P1", vials: 1, box: "BOX-2")   // at BOX-2:A1
            let vials = try await f.lot("LOT-P2", vials: 6).map(\.id)
            let csv = """
                vialId,boxId,row,column
                \(vials[0]),BOX-1,1,1
                \(vials[1]),BOX-1,1,2
                \(vials[2]),BOX-2,1,1
                \(vials[3]),BOX-1,10,1
                \(vials[4]),BOX-9,1,1
                \(vials[5]),BOX-1,1,2
                \(placed[0].id),BOX-1,3,3
                \(VialID(serial: 777_777).value),BOX-1,4,4
                """
            var s = try await f.store.importCSV(try document(csv, .placements), kind: .placements, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 2, "\(s.rejects)")
            #expect(s.rejects.map(\.field) == ["position", "row", "boxId", "position", "vialId", "vialId"])
            let v = try await f.store.vial(id: vials[1], actor: mfg, logger: Self.logger)
            #expect(v.location?.label == "BOX-1:A2")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.placed' AND to_location LIKE 'BOX-1:%'") == 2)
            s = try await f.store.importCSV(try document(csv, .placements), kind: .placements, actor: mfg, logger: Self.logger)
            #expect(s.inserted == 0 && s.unchanged == 2 && s.rejected == 6)
        }
    }
}

extension CSVDocument {
    /// Reads a rejects file back: its rows without the header, which must be row,line,field,rule,value,…
    static func readRejects(_ data: Data) throws -> [[String]] {
        let all = try rows(data)
        #expect(all.first?.prefix(5) == ["row", "line", "field", "rule", "value"])
        return Array(all.dropFirst())
    }
}

extension TestClientProtocol {
    func importCSV(_ data: Data, kind: String, dryRun: Bool = false, token: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = "text/csv"
        return try await execute(uri: "/imports?kind=\(kind)&dryRun=\(dryRun)", method: .post, headers: headers, body: ByteBuffer(bytes: data)) { response in
            let text = String(buffer: response.body)
            #expect(response.status.code < 500, "server error: \(text)")
            if response.status.code >= 400 { #expect(response.headers[.contentType] == "application/problem+json") }
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:])
        }
    }
}
