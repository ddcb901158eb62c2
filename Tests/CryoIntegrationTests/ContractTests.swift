import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13, the contract a generated client relies on (items 9, 13, 14, 16, 17).
@Suite("The contract: closed request bodies, typed exports, multipart import, signatures")
struct ContractTests {
    @Test("an unknown body field is a 400 naming it, nested ones with their path, and nothing changes (moveVial 'colunm')")
    func unknownFields() async throws {
        try await withApp { f, http in
            let vial = try await f.lot("LOT-U1", vials: 1, box: "BOX-1")[0].id
            let mfg = f.tokens[.manufacturing]
            var (status, body, text) = try await http.call(.post, "/vials/\(vial)/move", token: mfg,
                                                          json: #"{"boxId":"BOX-2","row":1,"colunm":2,"column":3,"reason":"reorganised"}"#)
            #expect(status == .badRequest && body["field"] as? String == "colunm", "\(text)")
            #expect((body["rule"] as? String)?.contains("unknown fields are refused") == true, "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.moved'") == 0)
            (status, body, text) = try await http.call(.post, "/lots/LOT-U1/status", token: f.tokens[.qa], json: """
                {"status":"on-hold","reason":"x","signature":{"password":"p","meaning":"m","extra":true}}
                """)
            #expect(status == .badRequest && body["field"] as? String == "signature.extra", "\(text)")
            (status, body, text) = try await http.call(.post, "/products", token: f.tokens[.qa], json: """
                {"code":"ALLO-9","name":"n","shelfLifeDays":1,"storageCondition":"LN2","storageMaxCelsius":-150,"thawToInfusionMinutes":30,
                 "specEffectiveFrom":"2026-01-01","specification":[{"code":"v","name":"V","kind":"numeric","limit":70}]}
                """)
            #expect(status == .badRequest && body["field"] as? String == "specification[0].limit", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE status = 'on-hold'") == 0)
            // The same request spelled right passes.
            (status, _, text) = try await http.call(.post, "/vials/\(vial)/move", token: mfg,
                                                    json: #"{"boxId":"BOX-2","row":1,"column":3,"reason":"reorganised"}"#)
            #expect(status == .ok, "\(text)")
        }
    }

    @Test("custody CSV exports neutralise formula cells; the integer columns stay numbers")
    func csvInjection() async throws {
        try await withApp { f, http in
            let vial = try await f.lot("LOT-F1", vials: 1, box: "BOX-1")[0].id
            _ = try await f.store.moveVial(id: vial, to: Position(boxId: "BOX-2", row: 1, column: 1), reason: "=1+1",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.moveVial(id: vial, to: Position(boxId: "BOX-2", row: 1, column: 2), reason: "@SUM(A1:A9)",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.moveVial(id: vial, to: Position(boxId: "BOX-2", row: 1, column: 3), reason: "-150 then +2",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            let (status, _, csv) = try await http.call(.get, "/audit/export/csv?vial=\(vial)", token: f.tokens[.auditor])
            #expect(status == .ok)
            #expect(csv.contains(",\"'=1+1\","), "\(csv)")
            #expect(csv.contains(",\"'@SUM(A1:A9)\","))
            #expect(csv.contains(",\"'-150 then +2\","))
            let rows = try CSVDocument.rows(Data(csv.utf8))
            #expect(rows.count >= 5)
            for row in rows.dropFirst() {
                #expect(Int(row[0]) != nil && Int(row[3]) != nil)
                #expect(row.allSatisfy { !CSVCell.isFormula($0.utf8) }, "\(row)")
            }
        }
    }

    @Test("NDJSON and JSON exports: typed events, details an object, null for absent values, the signature manifestation")
    func typedExports() async throws {
        try await withApp { f, http in
            try await f.releasedLot("LOT-J1", vials: 1)
            let auditor = f.tokens[.auditor]
            let (status, _, ndjson) = try await http.call(.get, "/audit/export/ndjson?lot=LOT-J1", token: auditor)
            #expect(status == .ok)
            let lines = ndjson.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(lines[0]["format"] as? String == "cryoledger.custody-export/v1+ndjson")
            let events = lines.dropFirst()
            #expect(events.count >= 4)
            for e in events {
                #expect(e["details"] is [String: Any], "\(e)")
                for key in ["fromState", "toState", "fromLocation", "toLocation", "reason"] {
                    #expect(e[key] is NSNull || (e[key] as? String)?.isEmpty == false, "\(key) in \(e)")
                }
            }
            let released = try #require(events.first { $0["action"] as? String == "lot.released" })
            let signature = try #require(released["signature"] as? [String: Any])
            #expect(signature["printedName"] as? String == "Test qa" && signature["meaning"] as? String == "approved for release")
            #expect((signature["signedAt"] as? String)?.hasSuffix("Z") == true)
            #expect(events.filter { $0["signature"] != nil }.count == 1)
            // Still re-verifiable offline.
            let decoded = ndjson.split(separator: "\n").dropFirst().map { try! JSONDecoder().decode(ExportedEvent.self, from: Data($0.utf8)) }
            #expect(ExportVerifier.verify(events: decoded).intact)

            let (s2, doc, _) = try await http.call(.get, "/audit/export/json?lot=LOT-J1", token: auditor)
            #expect(s2 == .ok && doc["format"] as? String == "cryoledger.custody-export/v1")
            let jsonEvents = try #require(doc["events"] as? [[String: Any]])
            #expect(jsonEvents.count == events.count)
            #expect(jsonEvents.allSatisfy { $0["details"] is [String: Any] && !($0["reason"] is String && ($0["reason"] as! String).isEmpty) })
            let signed = try #require(jsonEvents.first { $0["action"] as? String == "lot.released" })
            #expect((signed["signature"] as? [String: Any])?["printedName"] as? String == "Test qa")
        }
    }

    @Test("custody events from /custody carry the signature manifestation, as the export does")
    func custodySignature() async throws {
        try await withApp { f, http in
            try await f.releasedLot("LOT-S1", vials: 1)
            let (status, _, text) = try await http.call(.get, "/custody/lot/LOT-S1", token: f.tokens[.auditor])
            #expect(status == .ok)
            let events = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            let released = try #require(events.first { $0["action"] as? String == "lot.released" })
            let signature = try #require(released["signature"] as? [String: Any], "\(released)")
            #expect(signature["printedName"] as? String == "Test qa" && signature["meaning"] as? String == "approved for release")
            #expect(signature["signedAt"] is String)
            #expect(events.filter { $0["signature"] != nil }.count == 1)
        }
    }

    @Test("getPlanInstance returns the FORMAT.md instance, typed")
    func planInstance() async throws {
        try await withApp { f, http in
            try await f.clinical()
            try await f.enrol("RES-101")
            let (status, plan, text) = try await http.call(.post, "/allocation-plans", token: f.tokens[.pharmacy], json: #"{"patients":["RES-101"]}"#)
            #expect(status == .created, "\(text)")
            let id = try #require(plan["id"] as? String)
            let (s2, instance, t2) = try await http.call(.get, "/allocation-plans/\(id)/instance", token: f.tokens[.pharmacy])
            #expect(s2 == .ok, "\(t2)")
            #expect(instance["format"] as? String == "cryoledger.allocation/v1")
            #expect((instance["policy"] as? [String: Any])?["cohortLots"] as? String == "soft")
            let demand = try #require((instance["demands"] as? [[String: Any]])?.first)
            #expect(demand["id"] as? String == "RES-101" && demand["kind"] as? String == "patient")
            #expect((instance["lots"] as? [[String: Any]])?.first?["id"] as? String == "LOT-A1")
        }
    }

    @Test("importBatch takes the CSV as multipart/form-data (part 'file') as well as text/csv")
    func multipartImport() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-MP", planned: 10)
            let csv = "vialId,lotNumber\n\(VialID(serial: 911).value),LOT-MP\n\(VialID(serial: 912).value),=LOT-NOPE\n"
            let boundary = "cryoledger-test-boundary"
            func form(_ name: String) -> ByteBuffer {
                ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"vials.csv\"\r\n"
                           + "Content-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n")
            }
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(f.tokens[.manufacturing]!)"
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            try await http.execute(uri: "/imports?kind=vials", method: .post, headers: headers, body: form("file")) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok, "\(text)")
                let body = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                #expect(body?["inserted"] as? Int == 1 && body?["rejected"] as? Int == 1, "\(text)")
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE lot_number = 'LOT-MP'") == 1)
            // A form without the part named 'file' is refused naming it.
            try await http.execute(uri: "/imports?kind=vials", method: .post, headers: headers, body: form("upload")) { response in
                #expect(response.status == .badRequest, "\(String(buffer: response.body))")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
