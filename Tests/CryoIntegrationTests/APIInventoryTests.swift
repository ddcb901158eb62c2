import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Inventory through the API")
struct APIInventoryTests {
    @Test("register a donor and a lot, create vials into a box, read them back")
    func happyPath() async throws {
        try await withApp { f, http in
            let mfg = f.tokens[.manufacturing]
            var (status, body, text) = try await http.call(.post, "/donors", token: mfg, json: """
                {"code":"DN-000777","eligibility":"eligible","hla":["A*02:01","B*44:02","DRB1*15:01"],
                 "screeningTests":[{"test":"HBV NAT","result":"negative","testedOn":"2026-01-02"}]}
                """)
            #expect(status == .created, "\(text)")
            #expect(body["hla"] as? [String] == ["A*02:01", "B*44:02", "DRB1*15:01"])
            (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: """
                {"lotNumber":"A501-26900","productCode":"ALLO-501","donorCode":"DN-000777","manufacturedOn":"2026-03-01","cellsPerVial":40000000,"vialCount":20}
                """)
            #expect(status == .created, "\(text)")
            #expect(body["status"] as? String == "in-process")
            #expect(body["expiresOn"] as? String == "2027-03-01")
            (status, _, text) = try await http.call(.post, "/lots/A501-26900/vials", token: mfg, json: #"{"count":12,"boxId":"BOX-1"}"#)
            #expect(status == .created, "\(text)")
            let vials = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
            #expect(vials.count == 12)
            let id = vials[11]["id"] as! String
            #expect(Mod37_2.isValid(id))
            (status, body, _) = try await http.call(.get, "/vials/\(id)", token: f.tokens[.auditor])
            #expect(status == .ok)
            let location = body["location"] as? [String: Any]
            #expect(location?["label"] as? String == "BOX-1:B3")
            (status, body, _) = try await http.call(.get, "/lots?product=ALLO-501&status=in-process&limit=1", token: f.tokens[.pharmacy])
            #expect(status == .ok)
            #expect((body["lots"] as? [[String: Any]])?.count == 1)
            (status, body, _) = try await http.call(.get, "/freezers/FRZ-1/map", token: f.tokens[.auditor])
            #expect(status == .ok)
            #expect(body["occupied"] as? Int == 12)
        }
    }

    @Test("lot status machine through the API: legal changes work, signing steps need the password, illegal ones are refused")
    func lotTransitions() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-T1")
            let path = "/lots/LOT-T1/status"
            var (status, body, text) = try await http.call(.post, path, token: f.tokens[.manufacturing], json: #"{"status":"quarantine","reason":"run complete"}"#)
            #expect(status == .ok, "\(text)")
            (status, body, text) = try await http.call(.post, path, token: f.tokens[.qa], json: #"{"status":"on-hold","reason":"deviation"}"#)
            #expect(status == .ok && body["heldFrom"] as? String == "quarantine", "\(text)")
            // Lifting a hold is a signature: without one, refused.
            (status, body, _) = try await http.call(.post, path, token: f.tokens[.qa], json: #"{"status":"quarantine","reason":"closed"}"#)
            #expect(status == .badRequest && body["field"] as? String == "signature")
            (status, body, text) = try await http.call(.post, path, token: f.tokens[.qa], json: """
                {"status":"quarantine","reason":"investigation closed","signature":{"password":"\(Fixture.qaPassword)","meaning":"hold lifted"}}
                """)
            #expect(status == .ok && body["status"] as? String == "quarantine", "\(text)")
            // Release is not a plain status change.
            (status, _, _) = try await http.call(.post, path, token: f.tokens[.qa], json: """
                {"status":"released","reason":"ok","signature":{"password":"\(Fixture.qaPassword)","meaning":"approved for release"}}
                """)
            #expect(status == .conflict)
            (status, body, text) = try await http.call(.post, path, token: f.tokens[.qa], json: """
                {"status":"rejected","reason":"viability 55 %","signature":{"password":"\(Fixture.qaPassword)","meaning":"rejected"}}
                """)
            #expect(status == .ok && body["status"] as? String == "rejected", "\(text)")
            // Final state: nothing further, and nothing changes.
            let events = try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'LOT-T1'")
            (status, body, _) = try await http.call(.post, path, token: f.tokens[.qa], json: #"{"status":"on-hold","reason":"x"}"#)
            #expect(status == .conflict && body["field"] as? String == "status")
            #expect((body["rule"] as? String)?.contains("cannot go from rejected to on-hold") == true)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'LOT-T1'") == events)
            let signed = try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'LOT-T1' AND signature->>'printedName' = 'Test qa'")
            #expect(signed == 2)
        }
    }

    @Test("20 concurrent placements of different vials into one position: one succeeds, the rest get 409")
    func concurrentPlacement() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-P1", vials: 20)
            let token = f.tokens[.manufacturing]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for v in vials {
                    group.addTask {
                        try await http.call(.post, "/vials/\(v.id)/placement", token: token, json: #"{"boxId":"BOX-2","row":3,"column":4}"#).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'BOX-2' AND row_no = 3 AND column_no = 4") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.placed'") == 1)
        }
    }

    @Test("a vial is in at most one place: placing a placed vial is refused; moving into an occupied position too")
    func onePlacePerVial() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-P2", vials: 2, box: "BOX-1")
            var (status, body, _) = try await http.call(.post, "/vials/\(vials[0].id)/placement", token: f.tokens[.manufacturing], json: #"{"boxId":"BOX-2","row":1,"column":1}"#)
            #expect(status == .conflict && body["field"] as? String == "vialId")
            (status, body, _) = try await http.call(.post, "/vials/\(vials[0].id)/move", token: f.tokens[.manufacturing],
                                                    json: #"{"boxId":"BOX-1","row":1,"column":2,"reason":"tidy"}"#)
            #expect(status == .conflict && body["field"] as? String == "position")
            (status, body, _) = try await http.call(.post, "/vials/\(vials[0].id)/move", token: f.tokens[.manufacturing],
                                                    json: #"{"boxId":"BOX-1","row":10,"column":1,"reason":"tidy"}"#)
            #expect(status == .badRequest)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE vial_id = '\(vials[0].id)'") == 1)
        }
    }
}
