import CryoDomain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Bad input, authentication and roles")
struct APIErrorTests {
    @Test("malformed JSON, wrong types, missing fields, bad enums: 400 problem+json naming the field")
    func badBodies() async throws {
        try await withApp { f, http in
            let mfg = f.tokens[.manufacturing]
            let before = try await f.count("SELECT count(*)::int FROM lot")
            var (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: #"{"lotNumber": "X1","#)
            #expect(status == .badRequest, "\(text)")
            (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: """
                {"lotNumber":"LOT-B1","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":"many","vialCount":2}
                """)
            #expect(status == .badRequest && body["field"] as? String == "cellsPerVial", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: """
                {"lotNumber":"LOT-B1","productCode":"ALLO-501","manufacturedOn":"2026-03-01","cellsPerVial":1,"vialCount":2}
                """)
            #expect(status == .badRequest && body["field"] as? String == "donorCode", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: """
                {"lotNumber":"LOT-B1","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-02-30","cellsPerVial":1,"vialCount":2}
                """)
            #expect(status == .badRequest && body["field"] as? String == "manufacturedOn", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots", token: mfg, json: """
                {"lotNumber":"LOT-B1","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":0,"vialCount":2}
                """)
            #expect(status == .badRequest && body["field"] as? String == "cellsPerVial", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots/LOT-X/status", token: mfg, json: #"{"status":"frozen","reason":"x"}"#)
            #expect(status == .badRequest && body["field"] as? String == "status", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM lot") == before)
        }
    }

    @Test("unknown ids: 404 for the resource, 400 naming the field for a reference")
    func unknownIds() async throws {
        try await withApp { f, http in
            var (status, _, _) = try await http.call(.get, "/lots/NO-SUCH-LOT", token: f.tokens[.auditor])
            #expect(status == .notFound)
            (status, _, _) = try await http.call(.get, "/donors/DN-999999", token: f.tokens[.auditor])
            #expect(status == .notFound)
            (status, _, _) = try await http.call(.get, "/vials/CV0000099999\(Mod37_2.checkCharacter(for: "CV0000099999")!)", token: f.tokens[.auditor])
            #expect(status == .notFound)
            let (s2, body, text) = try await http.call(.post, "/lots", token: f.tokens[.manufacturing], json: """
                {"lotNumber":"LOT-U1","productCode":"ALLO-999","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":1,"vialCount":2}
                """)
            #expect(s2 == .badRequest && body["field"] as? String == "productCode", "\(text)")
        }
    }

    @Test("bad HLA syntax and coded ids are refused with the field named")
    func badHLA() async throws {
        try await withApp { f, http in
            var (status, body, text) = try await http.call(.post, "/donors", token: f.tokens[.manufacturing], json: """
                {"code":"DN-000002","eligibility":"pending","hla":["A*02:01","B*4402"]}
                """)
            #expect(status == .badRequest && body["field"] as? String == "hla[1]", "\(text)")
            (status, body, text) = try await http.call(.post, "/donors", token: f.tokens[.manufacturing], json: """
                {"code":"John Smith","eligibility":"pending","hla":[]}
                """)
            #expect(status == .badRequest && body["field"] as? String == "code", "\(text)")
            (status, body, text) = try await http.call(.post, "/donors", token: f.tokens[.manufacturing], json: """
                {"code":"DN-000003","eligibility":"pending","hla":["A*02:01","A*03:01","A*11:01"]}
                """)
            #expect(status == .badRequest && body["field"] as? String == "hla[2]", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM donor") == 1)
        }
    }

    @Test("a vial id with a wrong check character is refused, naming vialId")
    func wrongCheckCharacter() async throws {
        try await withApp { f, http in
            let vial = try await f.lot("LOT-E1", vials: 1)[0].id
            let last = vial.last!
            let wrong = String(vial.dropLast()) + (last == "0" ? "1" : "0")
            let (status, body, text) = try await http.call(.get, "/vials/\(wrong)", token: f.tokens[.auditor])
            #expect(status == .badRequest && body["field"] as? String == "vialId", "\(text)")
            #expect((body["rule"] as? String)?.contains("check character") == true)
        }
    }

    @Test("401 without a valid token; 403 for the wrong role")
    func authAndRoles() async throws {
        try await withApp { f, http in
            var (status, _, _) = try await http.call(.get, "/lots", token: nil)
            #expect(status == .unauthorized)
            (status, _, _) = try await http.call(.get, "/lots", token: "cl_00000000000000000000000000000000_nope")
            #expect(status == .unauthorized)
            let lot = #"{"lotNumber":"LOT-R1","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":1,"vialCount":2}"#
            (status, _, _) = try await http.call(.post, "/lots", token: f.tokens[.pharmacy], json: lot)
            #expect(status == .forbidden)
            (status, _, _) = try await http.call(.post, "/lots", token: f.tokens[.auditor], json: lot)
            #expect(status == .forbidden)
            (status, _, _) = try await http.call(.post, "/sites", token: f.tokens[.auditor], json: #"{"code":"S9","name":"x","kind":"depot"}"#)
            #expect(status == .forbidden)
            (status, _, _) = try await http.call(.get, "/lots", token: f.tokens[.auditor])
            #expect(status == .ok)
            (status, _, _) = try await http.call(.get, "/freezers", token: f.tokens[.auditor])
            #expect(status == .ok)
            #expect(try await f.count("SELECT count(*)::int FROM lot") == 0)
            (status, _, _) = try await http.call(.get, "/health", token: nil)
            #expect(status == .ok)
            let (s, _, yaml) = try await http.call(.get, "/openapi.yaml", token: nil)
            #expect(s == .ok && yaml.hasPrefix("openapi: 3.1"))
        }
    }

    @Test("a wrong signing password is refused and logged; five in a row lock the account")
    func signatureLockout() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-S1")
            _ = try await http.call(.post, "/lots/LOT-S1/status", token: f.tokens[.manufacturing], json: #"{"status":"quarantine","reason":"done"}"#)
            let wrong = #"{"status":"rejected","reason":"x","signature":{"password":"not-it","meaning":"rejected"}}"#
            for _ in 1...5 {
                let (status, body, _) = try await http.call(.post, "/lots/LOT-S1/status", token: f.tokens[.qa], json: wrong)
                #expect(status == .forbidden && body["field"] as? String == "signature")
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'signature.failed'") == 5)
            // Locked: even the right password is refused now.
            let right = #"{"status":"rejected","reason":"x","signature":{"password":"\#(Fixture.qaPassword)","meaning":"rejected"}}"#
            let (status, _, _) = try await http.call(.post, "/lots/LOT-S1/status", token: f.tokens[.qa], json: right)
            #expect(status == .forbidden)
            #expect(try await f.store.lot(number: "LOT-S1", actor: f.user(.auditor), logger: Fixture.logger).status == "quarantine")
        }
    }
}
