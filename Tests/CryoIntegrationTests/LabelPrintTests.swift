import CryoDomain
import CryoReports
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Vial labels as ZPL and to the printer")
struct LabelPrintTests {
    typealias Pages = ConsolePageTests

    /// The fields of one `^XA…^XZ` format: every `^FD` with the command that opened its field.
    static func fields(_ format: String) -> [(command: String, data: String)] {
        var out: [(String, String)] = []
        for field in format.components(separatedBy: "^FS") {
            guard let fd = field.range(of: "^FD") else { continue }
            let head = String(field[..<fd.lowerBound])
            let command = ["^BX", "^BC", "^A0"].first { head.contains($0) } ?? "?"
            out.append((command, String(field[fd.upperBound...]).trimmingCharacters(in: .newlines)))
        }
        return out
    }

    static func formats(_ zpl: String) -> [String] {
        zpl.components(separatedBy: "^XZ").filter { $0.contains("^XA") }
    }

    @Test("ZPL of a lot: one format per vial, sized 600 x 300 dots, ^BX and ^BC carry the vial id with its check character, text the rest")
    func zplContent() async throws {
        try await withFixture { f in
            let vials = try await f.lot("A501-28001", vials: 3, box: "BOX-1")
            let labels = try await f.store.vialLabels(lotNumber: "A501-28001", vialIds: [], actor: f.user(.qa), logger: Fixture.logger, isbt128Facility: nil)
            let formats = Self.formats(ZPLLabels.render(labels))
            #expect(formats.count == 3)
            for (format, vial) in zip(formats, vials) {
                #expect(format.contains("^PW600") && format.contains("^LL300"))
                let fields = Self.fields(format)
                #expect(fields.filter { $0.command == "^BX" }.map(\.data) == [vial.id])
                #expect(fields.filter { $0.command == "^BC" }.map(\.data) == [vial.id])
                #expect(VialID(serial: Int(vial.id.dropFirst(2).prefix(10))!).value == vial.id, "the id printed is the checked id")
                let text = fields.filter { $0.command == "^A0" }.map(\.data)
                #expect(text.contains(vial.id))
                #expect(text.contains("LOT A501-28001   VIAL \(vial.ordinal)/100"))
                #expect(text.contains("EXP 2027-01-10"))
                #expect(text.contains("40,000,000 CAR+ cells/vial"))
                #expect(text.contains { $0.hasPrefix("ALLO-501") })
                #expect(!format.contains("DIN "), "no ISBT 128 codes for a product that did not opt in")
            }
        }
    }

    @Test("a product that opts in prints its DIN and the ISBT 128 compound message as a second Data Matrix; without a FIN it is refused")
    func zplISBT128() async throws {
        try await withFixture { f in
            let vials = try await f.lot("A501-28002", vials: 2, box: "BOX-1")
            try await f.store.setProductISBT128(productCode: "ALLO-501", description: "S1194", donationType: "V", actor: f.user(.qa), logger: Fixture.logger)
            await #expect(throws: DomainError.self) {
                _ = try await f.store.vialLabels(lotNumber: "A501-28002", vialIds: [], actor: f.user(.qa), logger: Fixture.logger, isbt128Facility: nil)
            }
            let labels = try await f.store.vialLabels(lotNumber: "A501-28002", vialIds: [], actor: f.user(.qa), logger: Fixture.logger, isbt128Facility: "W1234")
            for (format, vial) in zip(Self.formats(ZPLLabels.render(labels)), vials) {
                let expected = try ISBT128.vialCodes(vialId: vial.id, manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: CalendarDay("2027-01-10")!,
                                                     fin: "W1234", productDescription: "S1194", donationType: "V")
                let matrices = Self.fields(format).filter { $0.command == "^BX" }.map(\.data)
                #expect(matrices == [vial.id, expected.compoundMessage])
                #expect(format.contains("DIN \(expected.dinEyeReadable)"))
            }
            // The FHIR BiologicallyDerivedProduct carries the same DIN as a second identifier.
            let facts = try await f.store.productFacts(vialId: vials[0].id, lotNumber: nil, limit: 1, actor: f.user(.auditor), logger: Fixture.logger, isbt128Facility: "W1234")
            let din = try ISBT128.donationIdentificationNumber(vialId: vials[0].id, manufacturedOn: CalendarDay("2026-01-10")!, fin: "W1234")
            #expect(facts.first?.isbt128DIN == din.body)
            let without = try await f.store.productFacts(vialId: vials[0].id, lotNumber: nil, limit: 1, actor: f.user(.auditor), logger: Fixture.logger, isbt128Facility: nil)
            #expect(without.first?.isbt128DIN == nil)
            // The database holds the opt-in to its format too.
            await #expect(throws: (any Error).self) {
                _ = try await f.client.query("UPDATE product SET isbt128_product_description = 'S11' WHERE code = 'ALLO-501'", logger: Fixture.logger)
            }
        }
    }

    @Test("text that would be a ZPL command is hex-escaped, never sent raw")
    func escaping() {
        let label = VialLabel(vialId: VialID(serial: 9).value, productCode: "X-1", productName: "X-1 ^XZ~JA\\", lotNumber: "L-1", ordinal: 1, vialCount: 1,
                              expiresOn: "2027-01-01", storageCondition: "LN2", storageMaxCelsius: -150, cellsPerVial: 1)
        let zpl = ZPLLabels.render([label])
        #expect(Self.formats(zpl).count == 1)
        #expect(!zpl.contains("~JA") && zpl.contains("\\5EXZ\\7EJA\\5C"))
    }

    @Test("POST /lots/{lot}/labels/print sends the lot's ZPL to the site's printer; the fake printer receives exactly it; GET ?format=zpl is the same text")
    func printThroughAPI() async throws {
        let printer = try FakeLabelPrinter()
        defer { printer.stop() }
        try await withApp { f, http in
            let vials = try await f.lot("A501-28003", vials: 24, box: "BOX-1")
            _ = try await f.store.setSiteLabelPrinter(siteCode: "SSF", address: printer.address, actor: f.user(.manufacturing), logger: Fixture.logger)
            let (status, body, text) = try await http.call(.post, "/lots/A501-28003/labels/print", token: f.tokens[.qa], json: #"{"siteCode":"SSF"}"#)
            #expect(status == .ok, "\(text)")
            #expect(body["message"] as? String == "24 labels sent to SSF's printer at \(printer.address).")
            let jobs = try await printer.received()
            #expect(jobs.count == 1)
            let job = try #require(jobs.first)
            let printed = Self.formats(job).map { Self.fields($0).filter { $0.command == "^BC" }.map(\.data) }
            #expect(printed == vials.map { [$0.id] })
            #expect(try await f.count("""
                SELECT count(*)::int FROM custody_event WHERE subject_id = 'A501-28003' AND action = 'lot.labels-printed'
                AND details->>'labels' = '24' AND details->>'printer' = '\(printer.address)'
                """) == 1, "the print job is a custody event on the lot")
            let (zplStatus, _, zpl) = try await http.call(.get, "/lots/A501-28003/labels?format=zpl", token: f.tokens[.auditor])
            #expect(zplStatus == .ok && zpl == job)
            let (pdfStatus, _, pdf) = try await http.call(.get, "/lots/A501-28003/labels?format=pdf", token: f.tokens[.auditor])
            #expect(pdfStatus == .ok && pdf.hasPrefix("%PDF"))
            // Who may print, and the refusals in words.
            let (forbidden, _, _) = try await http.call(.post, "/lots/A501-28003/labels/print", token: f.tokens[.pharmacy], json: #"{"siteCode":"SSF"}"#)
            #expect(forbidden == .forbidden)
            _ = try await f.store.setSiteLabelPrinter(siteCode: "SSF", address: nil, actor: f.user(.manufacturing), logger: Fixture.logger)
            let (none, noneBody, _) = try await http.call(.post, "/lots/A501-28003/labels/print", token: f.tokens[.manufacturing], json: #"{"siteCode":"SSF"}"#)
            #expect(none == .conflict)
            #expect((noneBody["detail"] as? String ?? "").contains("site SSF has no label printer"), "\(noneBody)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'lot.labels-printed'") == 1, "a refused job is not recorded as printed")
        }
    }

    @Test("a printer that refuses the connection, or does not answer within the timeout, is reported in words; bad addresses are refused")
    func printerDown() async throws {
        try await withFixture { f in
            try await f.lot("A501-28004", vials: 2, box: "BOX-1")
            let address = "127.0.0.1:\(closedLocalPort())"
            _ = try await f.store.setSiteLabelPrinter(siteCode: "SSF", address: address, actor: f.user(.manufacturing), logger: Fixture.logger)
            do {
                _ = try await LabelPrintJob.printLot("A501-28004", siteCode: "SSF", store: f.store, actor: f.user(.qa), logger: Fixture.logger, isbt128Facility: nil)
                Issue.record("a dead printer must be refused")
            } catch let error as DomainError {
                guard case .conflict(let field, let rule) = error else { Issue.record("\(error)"); return }
                #expect(field == "printer")
                #expect(rule.hasPrefix("the 2 labels of lot A501-28004 were not sent to SSF's printer: the printer at \(address) refused the connection"), "\(rule)")
            }
            // A printer that never answers: refused after the timeout, in words.
            let silent = try SilentLabelPrinter()
            defer { silent.stop() }
            let started = ContinuousClock.now
            do {
                _ = try await LabelPrintJob.printLot("A501-28004", siteCode: nil, printer: "127.0.0.1:\(silent.port)", store: f.store, actor: f.user(.qa),
                                                    logger: Fixture.logger, isbt128Facility: nil, timeout: .seconds(1))
                Issue.record("a silent printer must be refused")
            } catch let error as DomainError {
                #expect(error == .conflict(field: "printer", rule: "the 2 labels of lot A501-28004 were not sent to the printer: the printer at 127.0.0.1:\(silent.port) did not answer within 1 second"))
            }
            #expect(ContinuousClock.now - started < .seconds(4))
            // An address that is not one is refused by the rule, and by the database.
            await #expect(throws: DomainError.invalid(field: "address", rule: "must be a printer's host name or IPv4 address, optionally with :port (1-65535; 9100 when left out), e.g. 10.0.0.5:9100")) {
                _ = try await f.store.setSiteLabelPrinter(siteCode: "SSF", address: "10.0.0.5:99999", actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            await #expect(throws: (any Error).self) {
                _ = try await f.client.query("UPDATE site SET label_printer = 'no port here' WHERE code = 'SSF'", logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'site.label-printer-set'") == 1)
        }
    }

    @Test("the console's Print labels button sends the job and says so; without a printer it says why")
    func printThroughConsole() async throws {
        let printer = try FakeLabelPrinter()
        defer { printer.stop() }
        try await withApp { f, http in
            let vials = try await f.lot("A501-28005", vials: 3, box: "BOX-1")
            let mfg = try await Pages.signIn(f, .manufacturing)
            var (status, html, _) = try await Pages.page(http, .get, "/console/lots/A501-28005", mfg)
            #expect(status == .ok && html.contains("No site has a label printer yet"))
            (status, html, _) = try await Pages.page(http, .post, "/console/lots/A501-28005/print", mfg, form: [("site", "SSF"), ("_csrf", mfg.csrf)])
            #expect(status == .conflict && html.contains("site SSF has no label printer"))
            _ = try await f.store.setSiteLabelPrinter(siteCode: "SSF", address: printer.address, actor: f.user(.manufacturing), logger: Fixture.logger)
            (status, html, _) = try await Pages.page(http, .get, "/console/lots/A501-28005", mfg)
            #expect(html.contains(#"id="print-labels""#) && html.contains("SSF (SSF) at \(printer.address)"))
            (status, html, _) = try await Pages.page(http, .post, "/console/lots/A501-28005/print", mfg, form: [("site", "SSF"), ("_csrf", mfg.csrf)])
            #expect(status == .ok)
            #expect(html.contains("3 labels sent to SSF&#39;s printer at \(printer.address).") || html.contains("3 labels sent to SSF's printer at \(printer.address)."))
            let job = try #require(try await printer.received().first)
            #expect(Self.formats(job).map { Self.fields($0).filter { $0.command == "^BX" }.map(\.data) } == vials.map { [$0.id] })
            let auditor = try await Pages.signIn(f, .auditor)
            (status, html, _) = try await Pages.page(http, .get, "/console/lots/A501-28005", auditor)
            #expect(!html.contains(#"id="print-form""#))
            (status, _, _) = try await Pages.page(http, .post, "/console/lots/A501-28005/print", auditor, form: [("site", "SSF"), ("_csrf", auditor.csrf)])
            #expect(status == .forbidden)
        }
    }
}
