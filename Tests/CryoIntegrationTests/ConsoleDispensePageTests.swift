import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The point-of-care pages through the router (issue 25): the pharmacy board, plans, pick lists, shipments and the
/// bedside, for every role; the CSRF check; stored values escaped; a wrong scan refused beside its field with the
/// other scans kept; the confirmation after each step.
@Suite("Console point-of-care pages through the router")
struct ConsoleDispensePageTests {
    typealias Pages = ConsolePageTests

    /// Two patients planned and committed through the Store: the first allocation's vials wait in their freezer.
    static func committed(_ f: Fixture) async throws -> [CommittedAllocation] {
        try await f.clinical()
        try await f.enrol("RES-001")
        try await f.enrol("RES-002")
        let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001", "RES-002"]), actor: f.user(.pharmacy), logger: Fixture.logger)
        return try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)
            .sorted { $0.subjectId < $1.subjectId }
    }

    static func ids(_ html: String) -> [String] {
        html.matches(of: /\sid="([^"]+)"/).map { String($0.output.1) }
    }

    static func duplicates(_ html: String) -> [String] {
        Dictionary(grouping: ids(html), by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
    }

    @Test("every point-of-care page answers 200 to every role with unique ids, and sends a visitor without a session to sign in")
    func pagesPerRole() async throws {
        try await withApp { f, http in
            let done = try await Self.committed(f)
            let planId = try await Self.planId(f)
            try await f.dispenseToReceived([done[1]])
            let shipment = try await Self.shipmentId(f)
            let pages = ["/console/pharmacy", "/console/pharmacy/plans/\(planId)", "/console/pharmacy/allocations/\(done[0].allocationId)",
                         "/console/pharmacy/shipments/\(shipment)", "/console/bedside"]
            for role in Role.allCases {
                let session = try await Pages.signIn(f, role)
                for uri in pages {
                    let (status, html, headers) = try await Pages.page(http, .get, uri, session)
                    #expect(status == .ok, "\(uri) as \(role.rawValue): \(status)")
                    #expect(headers[.contentType] == "text/html; charset=utf-8")
                    #expect(html.contains("Page \(role.rawValue) &lt;b&gt;"), "the signed-in name, escaped, on \(uri)")
                    #expect(Self.duplicates(html).isEmpty, "ids repeated on \(uri) as \(role.rawValue): \(Self.duplicates(html))")
                    // Controls follow the role: the pick and thaw forms only for those who dispense.
                    if uri.contains("/allocations/") { #expect(html.contains(#"id="pick-form""#) == role.may(.dispense), "\(role)") }
                    if uri.hasSuffix("/pharmacy") { #expect(html.contains(#"id="plan-selected""#) == role.may(.allocate), "\(role)") }
                }
            }
            for uri in pages {
                let (status, _, headers) = try await Pages.page(http, .get, uri, nil)
                #expect(status == .found && headers[.location] == "/console/sign-in", "\(uri) without a session")
            }
            let pharmacy = try await f.store.signIn(login: "page-pharmacy", password: Pages.password, address: "127.0.0.1", replacing: nil, logger: Fixture.logger)
            let session = Pages.Session(cookie: pharmacy.0, csrf: pharmacy.1.csrfToken)
            for missing in ["/console/pharmacy/allocations/999999", "/console/pharmacy/plans/not-a-plan", "/console/pharmacy/shipments/SH-NONE"] {
                let (status, _, _) = try await Pages.page(http, .get, missing, session)
                #expect(status == .notFound, "\(missing): \(status)")
            }
        }
    }

    static func planId(_ f: Fixture) async throws -> String {
        let rows = try await f.client.query("SELECT id::text FROM allocation_plan", logger: Fixture.logger)
        for try await (id) in rows.decode(String.self) { return id }
        return ""
    }

    static func shipmentId(_ f: Fixture) async throws -> String {
        let rows = try await f.client.query("SELECT id FROM shipment ORDER BY shipped_at DESC LIMIT 1", logger: Fixture.logger)
        for try await (id) in rows.decode(String.self) { return id }
        return ""
    }

    @Test("a pick, a plan, a thaw and a signed administration without the session's CSRF token are refused (403) and change nothing")
    func csrf() async throws {
        try await withApp { f, http in
            let done = try await Self.committed(f)
            let pharmacy = try await Pages.signIn(f, .pharmacy)
            let pick = [("scannedVialIds", done[0].vialIds.joined(separator: "\n"))]
            let (refused, html, _) = try await Pages.page(http, .post, "/console/pharmacy/allocations/\(done[0].allocationId)/pick", pharmacy,
                                                          form: pick + [("_csrf", "forged")])
            #expect(refused == .forbidden)
            #expect(html.contains("security token"))
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.picked'") == 0)
            for uri in ["/console/pharmacy/plan", "/console/bedside/thaw", "/console/bedside/administer", "/console/bedside/reschedule"] {
                let (status, _, _) = try await Pages.page(http, .post, uri, pharmacy, form: [("scope", "all"), ("vialId", done[0].vialIds[0])])
                #expect(status == .forbidden, "\(uri) without a token: \(status)")
            }
            let (picked, _, headers) = try await Pages.page(http, .post, "/console/pharmacy/allocations/\(done[0].allocationId)/pick", pharmacy,
                                                            form: pick + [("_csrf", pharmacy.csrf)])
            #expect(picked == .seeOther)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.picked'") == done[0].vialIds.count)
            // The confirmation says what was picked, announced to screen readers; the ship form is next.
            let (_, page, _) = try await Pages.page(http, .get, try #require(headers[.location]), pharmacy)
            #expect(page.contains(#"role="status""#) && page.contains("✓ Picked: \(done[0].vialIds.count) vial(s) out of storage"), "\(page)")
            #expect(page.contains(#"id="ship-form""#))
            // A crafted link cannot make the page claim a pick that did not happen.
            let (_, other, _) = try await Pages.page(http, .get, "/console/pharmacy/allocations/\(done[1].allocationId)?done=picked", pharmacy)
            #expect(!other.contains("✓ Picked"))
        }
    }

    @Test("a wrong scan at the pick is refused beside the scan field with the scan kept; the ship keeps every other field and scan")
    func pickAndShipRefusals() async throws {
        try await withApp { f, http in
            let done = try await Self.committed(f)
            let pharmacy = try await Pages.signIn(f, .pharmacy)
            let allocation = "/console/pharmacy/allocations/\(done[0].allocationId)"
            let (status, html, _) = try await Pages.page(http, .post, allocation + "/pick", pharmacy,
                                                         form: [("_csrf", pharmacy.csrf), ("scannedVialIds", "cv<b>wrong")])
            #expect(status == .conflict, "a wrong scan is a conflict, as in the API")
            #expect(html.contains(#"id="refusal-summary" role="alert" tabindex="-1""#))
            #expect(html.contains(##"<a href="#scannedVialIds">Vials scanned: pick refused, chain of identity: scanned vial CV&lt;B&gt;WRONG"##), "\(html)")
            #expect(html.contains(#"id="scannedVialIds-error">Vials scanned: pick refused"#), "the message is beside the scan field")
            #expect(html.contains(#"aria-invalid="true" aria-describedby="scannedVialIds-error">cv&lt;b&gt;wrong</textarea>"#), "the scan is kept, escaped")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.pick-refused'") >= 1, "the refusal is logged")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.picked'") == 0)

            let (picked, _, _) = try await Pages.page(http, .post, allocation + "/pick", pharmacy,
                                                      form: [("_csrf", pharmacy.csrf), ("scannedVialIds", done[0].vialIds.joined(separator: "\n").lowercased() + " \r")])
            #expect(picked == .seeOther, "scans forgive case and scanner noise")
            let scans = done[0].vialIds.joined(separator: "\n")
            let ship = [("_csrf", pharmacy.csrf), ("vialIds", done[0].vialIds.joined(separator: ",")), ("toSite", "S01"), ("dryShipperId", "DS-7"),
                        ("dataLoggerId", "LOG \"9\""), ("validatedHoldHours", "240"), ("scannedDryShipperId", "DS-8"), ("scannedShipVialIds", scans)]
            let (wrong, page, _) = try await Pages.page(http, .post, allocation + "/ship", pharmacy, form: ship)
            #expect(wrong == .conflict)
            #expect(page.contains(#"id="scannedDryShipperId-error">Dry shipper scanned: ship refused, chain of identity: scanned dry shipper DS-8"#), "\(page)")
            #expect(!page.contains(#"id="scannedShipVialIds-error""#), "only the wrong scan carries a message")
            #expect(page.contains(#"value="DS-8""#) && page.contains(#"value="LOG &quot;9&quot;""#) && page.contains(#"value="240""#))
            #expect(page.contains(">\(scans)</textarea>"), "the vial scans are kept")
            let (hours, hoursPage, _) = try await Pages.page(http, .post, allocation + "/ship", pharmacy,
                                                             form: ship.map { $0.0 == "validatedHoldHours" ? ($0.0, "two days") : $0 })
            #expect(hours == .badRequest)
            #expect(hoursPage.contains(#"id="validatedHoldHours-error">Validated hold time (hours): the dry shipper&#39;s validated hold time in whole hours"#))
            #expect(hoursPage.contains(#"value="two days""#))
            #expect(try await f.count("SELECT count(*)::int FROM shipment") == 0)

            let (shipped, _, headers) = try await Pages.page(http, .post, allocation + "/ship", pharmacy,
                                                             form: ship.map { $0.0 == "scannedDryShipperId" ? ($0.0, "DS-7") : $0 })
            #expect(shipped == .seeOther)
            let location = try #require(headers[.location])
            let (_, shipmentPage, _) = try await Pages.page(http, .get, location, pharmacy)
            #expect(shipmentPage.contains("✓ Shipped: \(done[0].vialIds.count) vial(s) in dry shipper DS-7 to S01"))
            #expect(shipmentPage.contains("LOG &quot;9&quot;"), "a stored value is escaped")

            // The receipt: a missing scan refused beside the scans, the logger's reading kept.
            let receive = location.split(separator: "?")[0] + "/receive"
            let (missing, receivePage, _) = try await Pages.page(http, .post, String(receive), pharmacy,
                                                                 form: [("_csrf", pharmacy.csrf), ("loggerMaxCelsius", "-171.5"), ("scannedVialIds", "")])
            #expect(missing == .conflict)
            #expect(receivePage.contains(#"id="scannedVialIds-error">Vials scanned: receive refused, chain of identity"#))
            #expect(receivePage.contains(#"value="-171.5""#))
            let (received, _, back) = try await Pages.page(http, .post, String(receive), pharmacy,
                                                           form: [("_csrf", pharmacy.csrf), ("loggerMaxCelsius", "-171,5"), ("scannedVialIds", scans)])
            #expect(received == .seeOther)
            let (_, receivedPage, _) = try await Pages.page(http, .get, try #require(back[.location]), pharmacy)
            #expect(receivedPage.contains("✓ Received: \(done[0].vialIds.count) vial(s) at S01, within the storage limit"))
        }
    }

    @Test("planning with nobody chosen is refused with the summary; a role that may not allocate or dispense gets 403")
    func planAndRoles() async throws {
        try await withApp { f, http in
            try await f.clinical()
            try await f.enrol("RES-001")
            let pharmacy = try await Pages.signIn(f, .pharmacy)
            let (status, html, _) = try await Pages.page(http, .post, "/console/pharmacy/plan", pharmacy, form: [("_csrf", pharmacy.csrf)])
            #expect(status == .badRequest)
            #expect(html.contains(##"<a href="#plan-form">Patients: choose at least one patient, or plan for everyone</a>"##), "\(html)")
            #expect(!html.contains(#"name="patient:RES-001" value="1" checked"#), "the choice made (none) is kept")
            let (planned, _, headers) = try await Pages.page(http, .post, "/console/pharmacy/plan", pharmacy,
                                                             form: [("_csrf", pharmacy.csrf), ("patient:RES-001", "1")])
            #expect(planned == .seeOther && headers[.location]?.hasPrefix("/console/pharmacy/plans/") == true)
            let plan = try #require(headers[.location])
            let (committed, _, back) = try await Pages.page(http, .post, plan + "/commit", pharmacy, form: [("_csrf", pharmacy.csrf)])
            #expect(committed == .seeOther)
            let (_, planPage, _) = try await Pages.page(http, .get, try #require(back[.location]), pharmacy)
            #expect(planPage.contains("✓ Plan committed: 1 allocation(s) reserved"))
            // Committing twice: refused on the plan with the store's sentence, 409 as in the API.
            let (again, againPage, _) = try await Pages.page(http, .post, plan + "/commit", pharmacy, form: [("_csrf", pharmacy.csrf)])
            #expect(again == .conflict || again == .badRequest, "\(again)")
            #expect(againPage.contains(#"id="refusal-summary""#))

            let auditor = try await Pages.signIn(f, .auditor)
            for uri in ["/console/pharmacy/plan", "/console/bedside/thaw", "/console/bedside/check", "/console/bedside/reschedule"] {
                let (forbidden, _, _) = try await Pages.page(http, .post, uri, auditor,
                                                             form: [("_csrf", auditor.csrf), ("scope", "all"), ("vialId", "CV0000000001O"), ("subjectId", "RES-001"),
                                                                    ("infusionOn", "2030-01-01"), ("reason", "x")])
                #expect(forbidden == .forbidden, "\(uri) as auditor: \(forbidden)")
            }
        }
    }

    @Test("at the bedside a wrong band or vial is refused beside its scan with the other scan kept; a wrong password is 403; the signed administration is confirmed")
    func bedside() async throws {
        try await withApp { f, http in
            let done = try await Self.committed(f)
            try await f.dispenseToReceived(done)
            try await f.ready("RES-001")
            let clinical = try await Pages.signIn(f, .clinical)
            // A stored reason with markup shows as text.
            let (rescheduled, _, _) = try await Pages.page(http, .post, "/console/bedside/reschedule", clinical,
                                                           form: [("_csrf", clinical.csrf), ("subjectId", "RES-002"), ("infusionOn", CalendarDay.today(offset: 0).description),
                                                                  ("reason", "<script>alert(1)</script>")])
            #expect(rescheduled == .seeOther)
            let (refusedDay, dayPage, _) = try await Pages.page(http, .post, "/console/bedside/reschedule", clinical,
                                                                form: [("_csrf", clinical.csrf), ("subjectId", "RES-002"), ("infusionOn", "next week"), ("reason", "bed <free>")])
            #expect(refusedDay == .badRequest)
            #expect(dayPage.contains(#"id="reschedule-RES-002-error""#) && dayPage.contains(#"value="bed &lt;free&gt;""#), "the reason is kept, escaped")
            #expect(dayPage.contains(##"<a href="#reschedule-RES-002-day">"##))

            let pharmacy = try await Pages.signIn(f, .pharmacy)
            let (_, board, _) = try await Pages.page(http, .get, "/console/bedside", pharmacy)
            #expect(board.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !board.contains("<script>alert(1)"))
            let vial = done[0].vialIds[0]
            let (wrongBand, thawPage, _) = try await Pages.page(http, .post, "/console/bedside/thaw", pharmacy,
                                                                form: [("_csrf", pharmacy.csrf), ("vialId", vial), ("scannedVialId", vial.lowercased()), ("scannedSubjectId", "RES-002")])
            #expect(wrongBand == .conflict)
            #expect(thawPage.contains(#"id="thaw-\#(vial)-band-error">Patient (subject id): thaw refused, chain of identity"#), "\(thawPage)")
            #expect(thawPage.contains(#"value="\#(vial.lowercased())""#), "the vial scan is kept")
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(vial)' AND status = 'received'") == 1)
            let (thawed, _, thawedAt) = try await Pages.page(http, .post, "/console/bedside/thaw", pharmacy,
                                                             form: [("_csrf", pharmacy.csrf), ("vialId", vial), ("scannedVialId", vial + "\t"), ("scannedSubjectId", "res-001")])
            #expect(thawed == .seeOther)
            let (_, thawedPage, _) = try await Pages.page(http, .get, try #require(thawedAt[.location]), pharmacy)
            #expect(thawedPage.contains("✓ Thawed \(vial): the thaw-to-infusion clock is running"))

            // The scan pair: the other patient's band for this vial.
            let (mismatch, checkPage, _) = try await Pages.page(http, .post, "/console/bedside/check", pharmacy,
                                                                form: [("_csrf", pharmacy.csrf), ("subjectId", "RES-002"), ("vialId", vial)])
            #expect(mismatch == .conflict)
            #expect(checkPage.contains(#"id="subjectId-error">Patient (subject id): chain of identity: vial \#(vial) is reserved for RES-001"#), "\(checkPage)")
            #expect(checkPage.contains(#"value="\#(vial)""#) && checkPage.contains(#"value="RES-002""#), "both scans are kept")
            #expect(!checkPage.contains(#"id="administer-form""#))
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.administration-refused' AND subject_id = '\(vial)'") == 1)

            let (match, matchPage, _) = try await Pages.page(http, .post, "/console/bedside/check", pharmacy,
                                                             form: [("_csrf", pharmacy.csrf), ("subjectId", "RES-001 "), ("vialId", vial.lowercased())])
            #expect(match == .ok && matchPage.contains(#"id="administer-form""#))
            let administer = [("_csrf", pharmacy.csrf), ("subjectId", "RES-001"), ("vialId", vial)]
            let (rejected, rejectedPage, _) = try await Pages.page(http, .post, "/console/bedside/administer", pharmacy,
                                                                   form: administer + [("signaturePassword", "not-my-password")])
            #expect(rejected == .forbidden, "a rejected signature is 403, as in the API")
            #expect(rejectedPage.contains(#"id="administer-password-error""#) && rejectedPage.contains(##"<a href="#administer-password">"##))
            #expect(!rejectedPage.contains("not-my-password"), "the password is never echoed")
            let (signed, _, signedAt) = try await Pages.page(http, .post, "/console/bedside/administer", pharmacy,
                                                             form: administer + [("signaturePassword", Pages.password)])
            #expect(signed == .seeOther)
            let (_, confirmed, _) = try await Pages.page(http, .get, try #require(signedAt[.location]), pharmacy)
            #expect(confirmed.contains(#"role="status""#) && confirmed.contains("Signed: administered \(vial)"))
            #expect(try await f.count("SELECT count(*)::int FROM administration WHERE vial_id = '\(vial)'") == 1)
        }
    }
}
