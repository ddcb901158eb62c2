import CryoDomain
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
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
            #expect(try await f.store.lot(number: "LOT-S1", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
        }
    }

    // Found by schemathesis (Benchmarks/schemathesis/run.sh): PostgreSQL text cannot hold U+0000, and a NUL
    // in a parameter or a JSON string reached the database and came back as a 500.
    @Test("a NUL character in a path or query parameter, or in a JSON string or key, is a 400 naming it")
    func nulCharacter() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-N1")
            let auditor = f.tokens[.auditor]
            for (uri, field) in [("/lots?product=A%00B", "product"), ("/lots/LOT%00N1", "lotNumber"), ("/holds?subjectType=lot&subjectId=%00", "subjectId"),
                                 ("/cohort-decisions?cohortId=X%00", "cohortId"), ("/lots/LOT-N1/qc-results?x=1&unknown=%00", "unknown")] {
                let (status, body, text) = try await http.call(.get, uri, token: auditor)
                #expect(status == .badRequest && body["field"] as? String == field && body["rule"] as? String == "must not contain the NUL character (U+0000)", "\(uri): \(text)")
            }
            let before = try await f.count("SELECT count(*)::int FROM custody_event")
            var (status, body, text) = try await http.callSized(.post, "/freezers/FRZ-1/temperatures", token: f.tokens[.manufacturing],
                                                                json: #"{"celsius":-180,"probe":"P\u0000","measuredAt":"2026-03-01T10:00:00Z"}"#)
            #expect(status == .badRequest && body["field"] as? String == "probe", "\(text)")
            (status, body, text) = try await http.callSized(.post, "/donors", token: f.tokens[.manufacturing], json: """
                {"code":"DN-000009","eligibility":"pending","hla":[],"screeningTests":[{"test":"HIV\\u0000","result":"pending","testedOn":"2026-01-01"}]}
                """)
            #expect(status == .badRequest && body["field"] as? String == "screeningTests[0].test", "\(text)")
            (status, body, text) = try await http.callSized(.post, "/lots/LOT-N1/status", token: f.tokens[.manufacturing],
                                                            json: #"{"status":"quarantine","reason":"done","x\u0000":1}"#)
            #expect(status == .badRequest && body["field"] as? String == "x\u{0}", "\(text)")
            // An escaped backslash followed by "u0000" is no NUL: that request goes through.
            (status, body, text) = try await http.callSized(.post, "/lots/LOT-N1/status", token: f.tokens[.manufacturing],
                                                            json: #"{"status":"quarantine","reason":"done \\u0000"}"#)
            #expect(status == .ok, "\(text)")
            // Without Content-Length the body is not screened, and the database's refusal is still a 400.
            (status, body, text) = try await http.call(.post, "/freezers/FRZ-1/temperatures", token: f.tokens[.manufacturing],
                                                       json: #"{"celsius":-180,"probe":"P\u0000","measuredAt":"2026-03-01T10:00:00Z"}"#)
            #expect(status == .badRequest && body["rule"] as? String == "must not contain the NUL character (U+0000)", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == before + 1)
        }
    }

    // Found by schemathesis: a malformed typed parameter was a 400 that named no parameter (or a Swift type).
    @Test("a malformed integer, boolean or enumerated parameter is a 400 naming the parameter and the allowed values")
    func typedParameters() async throws {
        try await withApp { f, http in
            let auditor = f.tokens[.auditor]
            let cases: [(HTTPRequest.Method, String, String, String?, String)] = [
                (.get, "/lots?product=ALLO-501&limit=ten", "limit", auditor, "must be an integer (64-bit)"),
                (.get, "/lots?status=frozen", "status", auditor, "must be one of in-process, quarantine, released, rejected, on-hold, expired, recalled"),
                (.get, "/holds?subjectId=LOT-1&active=maybe", "active", auditor, "must be true or false"),
                (.get, "/custody/planet/X", "subjectType", auditor, "must be one of user, product, donor, lot, vial, storage, study, patient, allocation, shipment"),
                (.get, "/allocations/9223372036854775808/pick-list", "allocationId", auditor, "must be an integer (64-bit)"),
                (.post, "/allocations/1.5/pick", "allocationId", f.tokens[.pharmacy], "must be an integer (64-bit)"),
                (.get, "/lots/LOT-1/certificate?format=docx", "format", auditor, "must be one of json, pdf"),
                (.get, "/audit/export/csv?from=2026-13-01&to=2026-01-02", "from", auditor, "must be a calendar date YYYY-MM-DD"),
                (.get, "/cohort-decisions", "cohortId", auditor, "is required"),
                (.post, "/imports?kind=cats", "kind", f.tokens[.manufacturing], "must be one of donors, lots, vials, placements"),
            ]
            for (method, uri, field, token, rule) in cases {
                let (status, body, text) = try await http.call(method, uri, token: token)
                #expect(status == .badRequest && body["field"] as? String == field && body["rule"] as? String == rule, "\(uri): \(text)")
            }
            let (status, body, text) = try await http.call(.post, "/holds/abc/lift", token: f.tokens[.qa], json: #"{"reason":"x"}"#)
            #expect(status == .badRequest && body["field"] as? String == "holdId", "\(text)")
            let (s2, b2, t2) = try await http.call(.post, "/donors", token: f.tokens[.manufacturing], json: "[]")
            #expect(s2 == .badRequest && b2["field"] as? String == "body" && b2["rule"] as? String == "must be of type object", "\(t2)")
            let (s3, b3, t3) = try await http.call(.post, "/lots/LOT-1/status", token: f.tokens[.manufacturing], json: #"{"status":"frozen","reason":"x"}"#)
            #expect(s3 == .badRequest && b3["field"] as? String == "status" && b3["rule"] as? String == "'frozen' is not one of the allowed values", "\(t3)")
        }
    }

    // Found by schemathesis: numbers beyond what the database column holds came back as
    // "numeric field overflow" (or "integer out of range") naming no field.
    @Test("out-of-range numbers are refused naming the field; so are a null body, a malformed date-time and an unreadable query")
    func rangesAndShapes() async throws {
        try await withApp { f, http in
            let freezer = { (celsius: String) in #"{"id":"FRZ-9","siteCode":"SSF","kind":"ln2-dewar","name":"Dewar 9","maxCelsius":\#(celsius)}"# }
            for celsius in ["-1e10", "-300"] {
                let (status, body, text) = try await http.call(.post, "/freezers", token: f.tokens[.manufacturing], json: freezer(celsius))
                #expect(status == .badRequest && body["field"] as? String == "maxCelsius", "\(text)")
            }
            let product = { (shelf: String, celsius: String, thaw: String) in
                #"{"code":"ALLO-900","name":"x","shelfLifeDays":\#(shelf),"storageCondition":"LN2 vapour","storageMaxCelsius":\#(celsius),"thawToInfusionMinutes":\#(thaw),"specEffectiveFrom":"2026-01-01","specification":[]}"#
            }
            for (json, field) in [(product("3000000000", "-150", "30"), "shelfLifeDays"), (product("365", "-1e7", "30"), "storageMaxCelsius"),
                                  (product("365", "-150", "2147483648"), "thawToInfusionMinutes")] {
                let (status, body, text) = try await http.call(.post, "/products", token: f.tokens[.qa], json: json)
                #expect(status == .badRequest && body["field"] as? String == field, "\(text)")
            }
            #expect(try await f.count("SELECT count(*)::int FROM freezer WHERE id = 'FRZ-9'") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM product WHERE code = 'ALLO-900'") == 0)
            var (status, body, text) = try await http.call(.post, "/freezers/FRZ-1/temperatures", token: f.tokens[.manufacturing],
                                                           json: #"{"celsius":-180,"measuredAt":"yesterday"}"#)
            #expect(status == .badRequest && body["field"] as? String == "measuredAt", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots", token: f.tokens[.manufacturing], json: "null")
            #expect(status == .badRequest && body["field"] as? String == "body", "\(text)")
            (status, body, text) = try await http.call(.get, "/cohort-decisions?=&=x", token: f.tokens[.auditor])
            #expect(status == .badRequest && body["field"] as? String == "cohortId" && body["rule"] as? String == "is required", "\(text)")
            (status, body, text) = try await http.call(.get, "/cohort-decisions?=&x", token: f.tokens[.auditor])
            #expect(status == .badRequest && body["field"] as? String == "query", "\(text)")
        }
    }
}

extension TestClientProtocol {
    /// `call` with a Content-Length header, as every real client sends for a JSON body.
    func callSized(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: String) async throws -> (HTTPResponse.Status, [String: Any], String) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = "application/json"
        headers[.contentLength] = "\(json.utf8.count)"
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: json)) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            #expect(response.headers[.contentType] == "application/problem+json" || response.status.code < 400, "error without problem+json: \(text)")
            #expect(response.status.code < 500, "server error: \(text)")
            return (response.status, object, text)
        }
    }
}
