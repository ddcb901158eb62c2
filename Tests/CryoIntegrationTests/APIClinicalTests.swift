import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// The demo story through the API, and auditors' reads of patient-linked records being logged.
@Suite("Trials and dispensing through the API")
struct APIClinicalTests {
    @Test("enrol 3 into SLE DL1 without lymphodepletion, plan, commit, pick, ship, receive, thaw, administer, one DLT: observe until the windows close, then expand to six")
    func storyThroughAPI() async throws {
        try await withApp { f, http in
            try await f.clinical()
            let clin = f.tokens[.clinical], pharm = f.tokens[.pharmacy]
            let answers = Fixture.criteria.map { #"{"criterion":"\#($0.code)","satisfied":true}"# }.joined(separator: ",")
            let infusion = CalendarDay.today(offset: 10).description
            for s in ["RES-001", "RES-002", "RES-003"] {
                let (status, _, text) = try await http.call(.post, "/patients", token: clin, json: """
                    {"subjectId":"\(s)","studyCode":"RES","siteCode":"S01","cohortId":"RES/SLE/DL1/no-LD","weightKg":64.5,"infusionOn":"\(infusion)","eligibility":[\(answers)]}
                    """)
                #expect(status == .created, "\(text)")
            }
            // A fourth is refused: the cohort is full.
            var (status, body, text) = try await http.call(.post, "/patients", token: clin, json: """
                {"subjectId":"RES-004","studyCode":"RES","siteCode":"S01","cohortId":"RES/SLE/DL1/no-LD","weightKg":64.5,"infusionOn":"\(infusion)","eligibility":[\(answers)]}
                """)
            #expect(status == .conflict && (body["detail"] as? String ?? "").contains("full"), "\(text)")
            (status, body, text) = try await http.call(.post, "/allocation-plans", token: pharm, json: #"{"patients":["RES-001","RES-002","RES-003"]}"#)
            #expect(status == .created, "\(text)")
            let planId = body["id"] as! String
            let (_, _, instance) = try await http.call(.get, "/allocation-plans/\(planId)/instance", token: f.tokens[.auditor])
            #expect(instance.contains("cryoledger.allocation") && instance.contains("RES-003"))
            let (commitStatus, _, commitText) = try await http.call(.post, "/allocation-plans/\(planId)/commit", token: pharm, json: "{}")
            #expect(commitStatus == .created, "\(commitText)")
            let allocations = try JSONSerialization.jsonObject(with: Data(commitText.utf8)) as! [[String: Any]]
            #expect(allocations.count == 3)
            // Committing the same plan again changes nothing and says why.
            (status, body, _) = try await http.call(.post, "/allocation-plans/\(planId)/commit", token: pharm, json: "{}")
            #expect(status == .conflict && (body["detail"] as? String ?? "").contains("changed since planning"))
            var vials: [String] = []
            for a in allocations {
                let id = a["allocationId"] as! Int
                let ids = a["vialIds"] as! [String]
                (status, body, text) = try await http.call(.post, "/allocations/\(id)/pick", token: pharm, json: #"{"scannedVialIds":[]}"#)
                #expect(status == .conflict && (body["field"] as? String) == "scannedVialIds", "\(text)")
                (status, _, text) = try await http.call(.post, "/allocations/\(id)/pick", token: pharm,
                                                        json: "{\"scannedVialIds\":[\(ids.map { "\"\($0)\"" }.joined(separator: ","))]}")
                #expect(status == .ok, "\(text)")
                vials += ids
            }
            let vialList = vials.map { "\"\($0)\"" }.joined(separator: ",")
            (status, body, text) = try await http.call(.post, "/shipments", token: pharm, json: """
                {"vialIds":[\(vialList)],"toSite":"S01","dryShipperId":"DS-7","dataLoggerId":"LOG-9","validatedHoldHours":240,"scannedVialIds":[\(vialList)],"scannedDryShipperId":"DS-7"}
                """)
            #expect(status == .created, "\(text)")
            let shipment = body["id"] as! String
            (status, _, text) = try await http.call(.post, "/shipments/\(shipment)/receive", token: pharm, json: "{\"loggerMaxCelsius\":-172.5,\"scannedVialIds\":[\(vialList)]}")
            #expect(status == .ok, "\(text)")
            for a in allocations {
                let vial = (a["vialIds"] as! [String])[0], subject = a["subjectId"] as! String
                let thaw = "{\"scannedVialId\":\"\(vial)\",\"scannedSubjectId\":\"\(subject)\"}"
                (status, body, text) = try await http.call(.post, "/vials/\(vial)/thaw", token: pharm, json: thaw)
                #expect(status == .conflict && (body["detail"] as? String ?? "").contains("not today"), "\(text)")
                // Clinical staff reschedule the infusion to today and sign the clearance; pharmacy may do neither.
                (status, _, _) = try await http.call(.post, "/patients/\(subject)/infusion-reschedules", token: pharm,
                                                     json: "{\"infusionOn\":\"\(CalendarDay.today(offset: 0))\",\"reason\":\"vials at the site\"}")
                #expect(status == .forbidden)
                (status, _, text) = try await http.call(.post, "/patients/\(subject)/infusion-reschedules", token: clin,
                                                        json: "{\"infusionOn\":\"\(CalendarDay.today(offset: 0))\",\"reason\":\"vials at the site\"}")
                #expect(status == .created, "\(text)")
                (status, body, text) = try await http.call(.get, "/patients/\(subject)/readiness", token: pharm)
                #expect(status == .ok && body["ready"] as? Bool == false && (body["notReady"] as? String ?? "").contains("clearance"), "\(text)")
                let items = (body["clearanceItems"] as! [String]).map { "\"\($0)\"" }.joined(separator: ",")
                (status, body, text) = try await http.call(.post, "/patients/\(subject)/clearance", token: clin, json: """
                    {"items":[\(items)],"signature":{"password":"\(Fixture.pharmacyPassword)","meaning":"patient cleared for infusion"}}
                    """)
                #expect(status == .created && body["ready"] as? Bool == true, "\(text)")
                (status, _, text) = try await http.call(.post, "/vials/\(vial)/thaw", token: pharm, json: thaw)
                #expect(status == .ok, "\(text)")
                (status, body, text) = try await http.call(.post, "/vials/\(vial)/administer", token: pharm, json: """
                    {"subjectId":"\(subject)","signature":{"password":"\(Fixture.pharmacyPassword)","meaning":"administered after bedside identity check"}}
                    """)
                #expect(status == .ok && body["status"] as? String == "administered", "\(text)")
            }
            (status, _, text) = try await http.call(.post, "/patients/RES-002/dlts", token: clin, json: """
                {"description":"grade 3 cytokine release syndrome","grade":3,"onsetOn":"\(CalendarDay.today(offset: 0))"}
                """)
            #expect(status == .created, "\(text)")
            (status, body, text) = try await http.call(.get, "/cohort-decisions?cohortId=RES%2FSLE%2FDL1%2Fno-LD", token: clin)
            #expect(status == .ok && body["decision"] as? String == "observe", "\(text)")
            // The DLT windows of the other two close (their infusions moved 29 days back) and the rules say expand.
            try await f.client.query("UPDATE patient SET dosed_at = dosed_at - interval '29 days' WHERE cohort_id = 'RES/SLE/DL1/no-LD'", logger: Fixture.logger)
            (status, body, text) = try await http.call(.get, "/cohort-decisions?cohortId=RES%2FSLE%2FDL1%2Fno-LD", token: clin)
            #expect(status == .ok && body["decision"] as? String == "expand", "\(text)")
            (status, body, text) = try await http.call(.post, "/cohort-decisions", token: clin, json: """
                {"cohortId":"RES/SLE/DL1/no-LD","decision":"expand","signature":{"password":"\(Fixture.pharmacyPassword)","meaning":"cohort expanded to 6 per protocol"}}
                """)
            #expect(status == .ok && (body["cohort"] as? [String: Any])?["capacity"] as? Int == 6, "\(text)")
        }
    }

    @Test("an auditor's reads of a patient's record, history and report are logged; other roles' reads are not")
    func auditorReadsLogged() async throws {
        try await withApp { f, http in
            try await f.clinical()
            try await f.enrol("RES-001")
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            _ = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)
            func reads() async throws -> Int { try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'RES-001' AND action = 'record.read-by-auditor'") }
            _ = try await http.call(.get, "/patients/RES-001", token: f.tokens[.pharmacy])
            #expect(try await reads() == 0)
            let (status, body, _) = try await http.call(.get, "/patients/RES-001", token: f.tokens[.auditor])
            #expect(status == .ok && body["subjectId"] as? String == "RES-001")
            #expect(try await reads() == 1)
            let (exportStatus, _, ndjson) = try await http.call(.get, "/audit/export/ndjson?patient=RES-001", token: f.tokens[.auditor])
            #expect(exportStatus == .ok)
            #expect(ndjson.contains("patient.enrolled") && ndjson.contains("vial.reserved") && ndjson.contains("allocation.committed"))
            #expect(try await reads() == 2)
            // A lot report reaches the patients its vials were reserved for, and that read is logged too.
            let lotReport = try await f.store.exportCustody(scope: .lot("LOT-A1"), actor: f.user(.auditor), logger: Fixture.logger) { _ in }
            #expect(lotReport > 0)
            #expect(try await reads() == 3)
            let read = try await f.store.custodyEvents(subjectType: "patient", subjectId: "RES-001", actor: f.user(.qa), logger: Fixture.logger)
                .filter { $0.action == "record.read-by-auditor" }
            #expect(read.count == 3 && read.allSatisfy { $0.actorRole == "auditor" })
        }
    }
}
