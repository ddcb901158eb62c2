import CryoDomain
import CryoReports
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 4: the certificate of analysis of a dispositioned lot, as JSON and as the PDF QA files.
@Suite("Certificate of analysis")
struct CertificateTests {
    static let tests: [SpecTest] = [
        SpecTest(code: "viability", name: "Viability", kind: "numeric", unit: "%", min: 70),
        SpecTest(code: "car-positive", name: "CAR+ T cells", kind: "numeric", unit: "%", min: 20, max: 90),
        SpecTest(code: "endotoxin", name: "Endotoxin", kind: "numeric", unit: "EU/mL", max: 5),
        SpecTest(code: "potency", name: "Potency (IFN-γ)", kind: "numeric", unit: "pg/mL", min: 500),
        SpecTest(code: "sterility", name: "Sterility (USP <71>)", kind: "qualitative", expected: "no growth"),
    ]
    static let sign = SignatureInput(password: Fixture.qaPassword, meaning: "approved for release")

    /// A quarantined ALLO-329 lot with passing results for `tests` (all by default).
    static func lot(_ f: Fixture, _ number: String, results only: Set<String>? = nil) async throws {
        if try await f.count("SELECT count(*)::int FROM product WHERE code = 'ALLO-329'") == 0 {
            _ = try await f.store.createProduct(
                ProductRecord(code: "ALLO-329", name: "ALLO-329 CD19/CD70 dual CAR AlloCAR T", shelfLifeDays: 365,
                              storageCondition: "vapour phase of liquid nitrogen", storageMaxCelsius: -135, thawToInfusionMinutes: 30,
                              specification: tests),
                effectiveFrom: CalendarDay("2025-01-01")!, actor: f.user(.qa), logger: Fixture.logger)
        }
        _ = try await f.store.registerLot(LotRegistration(lotNumber: number, productCode: "ALLO-329", donorCode: "DN-000001",
                                                          manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: nil, cellsPerVial: 50_000_000,
                                                          plannedVials: 30), actor: f.user(.manufacturing), logger: Fixture.logger)
        _ = try await f.store.transitionLot(number: number, to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
        let values: [String: (Double?, String?, String)] = [
            "viability": (88.5, nil, "7-AAD flow cytometry"),
            "car-positive": (41.2, nil, "flow cytometry, anti-idiotype"),
            "endotoxin": (0.8, nil, "kinetic chromogenic LAL"),
            "potency": (1850, nil, "IFN-γ release by ELISA after 24 h co-culture with CD19+ and CD70+ target cell lines, effector:target 1:1"),
            "sterility": (nil, "no growth", "USP <71> direct inoculation, 14 days"),
        ]
        for t in tests where only?.contains(t.code) ?? true {
            let v = values[t.code]!
            _ = try await f.store.recordQcResult(lotNumber: number, QcResultInput(testCode: t.code, numericValue: v.0, textValue: v.1, method: v.2,
                                                                                instrument: t.code == "viability" ? "FACSLyric 2" : nil, analyst: "J. Analyst"),
                                                 actor: f.user(.qc), logger: Fixture.logger)
        }
    }

    static func makeReleased(_ f: Fixture, _ number: String) async throws {
        try await lot(f, number)
        let viability = try await f.store.qcResults(lotNumber: number, actor: f.user(.qc), logger: Fixture.logger).first { $0.testCode == "viability" }!
        _ = try await f.store.recordQcResult(lotNumber: number, QcResultInput(testCode: "viability", numericValue: 91, method: "7-AAD flow cytometry",
                                                                            analyst: "J. Analyst", supersedes: viability.id,
                                                                            correctionReason: "transcription error: 88.5 entered for 91"),
                                             actor: f.user(.qc), logger: Fixture.logger)
        _ = try await f.store.releaseLot(number: number, kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                         reason: "all release tests within specification", signature: sign, actor: f.user(.qa), logger: Fixture.logger)
    }

    @Test("released lot: every specified test with its limit and result, the correction, and the QA signature bound to its custody event")
    func released() async throws {
        try await withFixture { f in
            try await Self.makeReleased(f, "A329-C1")
            let coa = try await f.store.certificateOfAnalysis(lotNumber: "A329-C1", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(coa.format == "cryoledger.certificate-of-analysis/v1")
            #expect(coa.product.code == "ALLO-329" && coa.product.storageCondition == "vapour phase of liquid nitrogen")
            #expect(coa.lot.lotNumber == "A329-C1" && coa.lot.manufacturedOn == "2026-01-10" && coa.lot.expiresOn == "2027-01-10")
            #expect(coa.lot.cellsPerVial == 50_000_000 && coa.lot.vialCount == 30 && coa.lot.status == "released")
            #expect(coa.donorCode == "DN-000001")
            #expect(coa.specification?.version == 1 && coa.specification?.effectiveFrom == "2025-01-01")
            #expect(coa.tests.map(\.code) == Self.tests.map(\.code).sorted())
            let limits = Dictionary(uniqueKeysWithValues: coa.tests.map { ($0.code, $0.limit) })
            #expect(limits == ["viability": "≥ 70 %", "car-positive": "20 – 90 %", "endotoxin": "≤ 5 EU/mL", "potency": "≥ 500 pg/mL",
                               "sterility": "no growth"])
            #expect(coa.tests.allSatisfy { $0.outcome == "pass" && $0.result?.outcome == "pass" && $0.result?.analyst == "J. Analyst" })
            let values = Dictionary(uniqueKeysWithValues: coa.tests.map { ($0.code, $0.result?.value ?? "") })
            #expect(values == ["viability": "91", "car-positive": "41.2", "endotoxin": "0.8", "potency": "1850", "sterility": "no growth"])
            let viability = coa.tests.first { $0.code == "viability" }!
            #expect(viability.result?.unit == "%" && viability.result?.method == "7-AAD flow cytometry" && viability.result?.recordedBy == "Test qc")
            #expect(viability.result?.recordedAfterDisposition == false)
            #expect(coa.corrections.count == 1)
            #expect(coa.corrections.first.map { ($0.testCode, $0.previousValue, $0.correctedValue, $0.reason) }
                    ?? ("", "", "", "") == ("viability", "88.5 %", "91 %", "transcription error: 88.5 entered for 91"))

            let d = coa.disposition
            #expect(d.decision == "released" && d.kind == "standard" && d.decidedBy == "Test qa" && d.decidedByRole == "qa")
            #expect(d.reason == "all release tests within specification" && d.pendingTests.isEmpty && d.restrictedTo.isEmpty)
            #expect(d.signature.printedName == "Test qa" && d.signature.meaning == "approved for release")
            #expect(abs(d.signature.signedAt.timeIntervalSince(d.decidedAt)) < 60)
            let events = try await f.store.custodyEvents(subjectType: "lot", subjectId: "A329-C1", actor: f.user(.auditor), logger: Fixture.logger)
            let release = try #require(events.last { $0.action == "lot.released" })
            #expect(d.signature.custodyEventHash == release.hash && d.signature.custodyEventId == release.id && d.signature.custodyEventSeq == release.seq)
            #expect(d.signature.custodyEventAt == release.occurredAt && d.decidedAt == release.occurredAt)
            #expect(d.signature.hashVerified)
            #expect(coa.generatedBy == "Test auditor" && coa.generatedByRole == "auditor")

            // Nothing about the donor but its coded id.
            let json = String(decoding: try JSONEncoder().encode(coa), as: UTF8.self)
            #expect(!json.contains("A*02:01") && !json.contains("HIV") && !json.contains("eligib"))
            // Every role that reads inventory may read it.
            for role in Role.allCases {
                _ = try await f.store.certificateOfAnalysis(lotNumber: "A329-C1", actor: f.user(role), logger: Fixture.logger)
            }
        }
    }

    @Test("conditional release: the pending test shows as pending and the disposition names it")
    func conditional() async throws {
        try await withFixture { f in
            try await Self.lot(f, "A329-C2", results: ["viability", "car-positive", "endotoxin", "potency"])
            _ = try await f.store.releaseLot(number: "A329-C2", kind: .conditional, justification: nil, pendingTests: ["sterility"], restrictedTo: [],
                                             reason: "sterility read-out due day 14", signature: Self.sign, actor: f.user(.qa), logger: Fixture.logger)
            let coa = try await f.store.certificateOfAnalysis(lotNumber: "A329-C2", actor: f.user(.pharmacy), logger: Fixture.logger)
            let sterility = try #require(coa.tests.first { $0.code == "sterility" })
            #expect(sterility.outcome == "pending" && sterility.result == nil && sterility.limit == "no growth")
            #expect(coa.tests.filter { $0.code != "sterility" }.allSatisfy { $0.outcome == "pass" })
            #expect(coa.disposition.kind == "conditional" && coa.disposition.pendingTests == ["sterility"])
            #expect(coa.disposition.reason == "sterility read-out due day 14")
            #expect(coa.corrections.isEmpty)
        }
    }

    @Test("rejected lot: the rejection's signed custody event is the disposition; untested tests are pending")
    func rejected() async throws {
        try await withFixture { f in
            try await Self.lot(f, "A329-C3", results: [])
            _ = try await f.store.recordQcResult(lotNumber: "A329-C3", QcResultInput(testCode: "viability", numericValue: 55, method: "7-AAD flow cytometry",
                                                                                   analyst: "J. Analyst"), actor: f.user(.qc), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "A329-C3", to: .rejected, reason: "viability 55 % below specification",
                                                signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected: out of specification"),
                                                actor: f.user(.qa), logger: Fixture.logger)
            let coa = try await f.store.certificateOfAnalysis(lotNumber: "A329-C3", actor: f.user(.auditor), logger: Fixture.logger)
            let d = coa.disposition
            #expect(d.decision == "rejected" && d.kind == "standard" && d.reason == "viability 55 % below specification")
            #expect(d.signature.printedName == "Test qa" && d.signature.meaning == "rejected: out of specification" && d.signature.hashVerified)
            let events = try await f.store.custodyEvents(subjectType: "lot", subjectId: "A329-C3", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(d.signature.custodyEventHash == events.last { $0.toState == "rejected" }?.hash)
            #expect(coa.tests.first { $0.code == "viability" }.map { ($0.outcome, $0.result?.value) } ?? ("", nil) == ("fail", "55"))
            #expect(coa.tests.filter { $0.code != "viability" }.allSatisfy { $0.outcome == "pending" && $0.result == nil })
            let pdf = try CertificatePDF(coa).data()
            let text = try Self.pdftotext(pdf)
            #expect(text.contains("REJECTED") && text.contains("FAIL") && text.contains("NO RESULT") && text.contains("Page 1 of 1"))
            try Self.renderPage(pdf, name: "coa-rejected")
        }
    }

    @Test("no certificate before a QA disposition (409 rule); an unknown lot is not found")
    func noDisposition() async throws {
        try await withFixture { f in
            try await Self.lot(f, "A329-C4")
            await #expect(throws: DomainError.conflict(field: "lotNumber", rule: CertificateOfAnalysis.noDispositionRule)) {
                _ = try await f.store.certificateOfAnalysis(lotNumber: "A329-C4", actor: f.user(.auditor), logger: Fixture.logger)
            }
            await #expect(throws: DomainError.notFound(kind: "lot", id: "NO-SUCH-LOT")) {
                _ = try await f.store.certificateOfAnalysis(lotNumber: "NO-SUCH-LOT", actor: f.user(.auditor), logger: Fixture.logger)
            }
            // A hold lift is signed too, but it is not a disposition.
            _ = try await f.store.transitionLot(number: "A329-C4", to: .onHold, reason: "deviation", actor: f.user(.qa), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "A329-C4", to: .quarantine, reason: "deviation closed", signature: Self.sign,
                                                actor: f.user(.qa), logger: Fixture.logger)
            await #expect(throws: DomainError.conflict(field: "lotNumber", rule: CertificateOfAnalysis.noDispositionRule)) {
                _ = try await f.store.certificateOfAnalysis(lotNumber: "A329-C4", actor: f.user(.auditor), logger: Fixture.logger)
            }
        }
    }

    @Test("getCertificateOfAnalysis: JSON, and a PDF whose text names the lot, donor, every test and the signer; 401, 404, 409 as problems")
    func api() async throws {
        try await withApp { f, http in
            try await Self.makeReleased(f, "A329-C5")
            try await Self.lot(f, "A329-C6")
            let auditor = f.tokens[.auditor]
            let (status, body, text) = try await http.call(.get, "/lots/A329-C5/certificate", token: auditor)
            #expect(status == .ok, "\(text)")
            #expect(body["donorCode"] as? String == "DN-000001")
            let tests = body["tests"] as? [[String: Any]] ?? []
            #expect(tests.count == Self.tests.count && tests.allSatisfy { $0["limit"] is String && ($0["result"] as? [String: Any])?["value"] is String })
            let disposition = body["disposition"] as? [String: Any] ?? [:]
            let signature = disposition["signature"] as? [String: Any] ?? [:]
            #expect(disposition["decision"] as? String == "released" && signature["printedName"] as? String == "Test qa"
                    && signature["meaning"] as? String == "approved for release")
            let events = try await f.store.custodyEvents(subjectType: "lot", subjectId: "A329-C5", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(signature["custodyEventHash"] as? String == events.last { $0.action == "lot.released" }?.hash)

            let variants: [(String, String?)] = [("/lots/A329-C5/certificate?format=pdf", nil), ("/lots/A329-C5/certificate", "application/pdf")]
            for (uri, accept) in variants {
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(auditor!)"
                if let accept { headers[.accept] = accept }
                let (code, type, pdf) = try await http.execute(uri: uri, method: .get, headers: headers, body: nil) { r in
                    (r.status, r.headers[.contentType], Data(r.body.readableBytesView))
                }
                #expect(code == .ok && type == "application/pdf")
                #expect(pdf.starts(with: Array("%PDF".utf8)))
                let text = try Self.pdftotext(pdf)
                for expected in ["Certificate of Analysis", "A329-C5", "DN-000001", "Test qa", "approved for release", "Page 1 of 1",
                                 "≥ 70 %", "2026-01-10", "2027-01-10"] + Self.tests.map(\.name) {
                    #expect(text.contains(expected), "the PDF text lacks \(expected)")
                }
                #expect(text.contains(signature["custodyEventHash"] as? String ?? "?"))
            }
            // One page as an image, kept for a look when CRYOLEDGER_KEEP_TEST_OUTPUT names a directory.
            let coa = try await f.store.certificateOfAnalysis(lotNumber: "A329-C5", actor: f.user(.auditor), logger: Fixture.logger)
            try Self.renderPage(try CertificatePDF(coa).data(), name: "coa-released")

            let (s401, _, _) = try await http.call(.get, "/lots/A329-C5/certificate", token: nil)
            #expect(s401 == .unauthorized)
            let (s404, _, _) = try await http.call(.get, "/lots/NO-SUCH-LOT/certificate?format=pdf", token: auditor)
            #expect(s404 == .notFound)
            let (s409, problem, _) = try await http.call(.get, "/lots/A329-C6/certificate?format=pdf", token: auditor)
            #expect(s409 == .conflict && problem["rule"] as? String == CertificateOfAnalysis.noDispositionRule && problem["field"] as? String == "lotNumber")
            let (s400, _, _) = try await http.call(.get, "/lots/A329-C5/certificate?format=docx", token: auditor)
            #expect(s400 == .badRequest)
            var jsonOnly = HTTPFields()
            jsonOnly[.authorization] = "Bearer \(auditor!)"
            jsonOnly[.accept] = "application/json"
            let (sAccept, field) = try await http.execute(uri: "/lots/A329-C5/certificate?format=pdf", method: .get, headers: jsonOnly, body: nil) { r in
                (r.status, (try? JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))) as? [String: Any])
            }
            #expect(sAccept == .badRequest && field?["field"] as? String == "format")
            let (sPharmacy, _, _) = try await http.call(.get, "/lots/A329-C5/certificate", token: f.tokens[.pharmacy])
            #expect(sPharmacy == .ok)
        }
    }

    @Test("a long certificate breaks across pages, repeating the table header; without DejaVu the standard fonts spell out ≥")
    func longCertificate() async throws {
        try await withFixture { f in
            let tests = (1...40).map { i in
                SpecTest(code: String(format: "assay-%02d", i), name: String(format: "Assay %02d", i), kind: "numeric", unit: "%", min: 70)
            }
            _ = try await f.store.createProduct(
                ProductRecord(code: "BIG-1", name: "A product with a long specification and a name long enough to wrap on the certificate of analysis title line",
                              shelfLifeDays: 365, storageCondition: "vapour phase of liquid nitrogen", storageMaxCelsius: -150, thawToInfusionMinutes: 30,
                              specification: tests),
                effectiveFrom: CalendarDay("2025-01-01")!, actor: f.user(.qa), logger: Fixture.logger)
            _ = try await f.store.registerLot(LotRegistration(lotNumber: "BIG-0001", productCode: "BIG-1", donorCode: "DN-000001",
                                                              manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: nil, cellsPerVial: 40_000_000,
                                                              plannedVials: 10), actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "BIG-0001", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            for t in tests.prefix(30) {
                _ = try await f.store.recordQcResult(lotNumber: "BIG-0001", QcResultInput(testCode: t.code, numericValue: 80, method: "a method "
                                                                                            + String(repeating: "with many words ", count: 6),
                                                                                          analyst: "J. Analyst"), actor: f.user(.qc), logger: Fixture.logger)
            }
            let justification = String(repeating: "Released under deviation DEV-0042 pending the remaining assays; ", count: 12)
                + "an-unbroken-token-" + String(repeating: "x", count: 150)
            _ = try await f.store.releaseLot(number: "BIG-0001", kind: .conditional, justification: justification,
                                             pendingTests: tests.suffix(10).map(\.code), restrictedTo: [], reason: nil,
                                             signature: Self.sign, actor: f.user(.qa), logger: Fixture.logger)
            let coa = try await f.store.certificateOfAnalysis(lotNumber: "BIG-0001", actor: f.user(.auditor), logger: Fixture.logger)
            let pdf = try CertificatePDF(coa)
            #expect(pdf.unicode)
            #expect(pdf.pageCount >= 2)
            let data = try pdf.data()
            let text = try Self.pdftotext(data)
            #expect(text.contains("Page 1 of \(pdf.pageCount)") && text.contains("Page \(pdf.pageCount) of \(pdf.pageCount)"))
            #expect(text.contains("Release testing (continued)"))
            for t in tests { #expect(text.contains(t.name), "the PDF text lacks \(t.name)") }
            #expect(text.contains(String(repeating: "x", count: 40)))
            try Self.renderPage(data, name: "coa-long", page: 2)

            let plain = try CertificatePDF(coa, fontDirectory: nil)
            #expect(!plain.unicode)
            let plainData = try plain.data()
            let plainText = try Self.pdftotext(plainData)
            try Self.renderPage(plainData, name: "coa-plain", page: pdf.pageCount)
            #expect(plainText.contains(">= 70 %") && plainText.contains("BIG-0001") && plainText.contains("Test qa"))
        }
    }

    // MARK: helpers

    static func pdftotext(_ pdf: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cl-coa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("coa.pdf")
        try pdf.write(to: path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        p.arguments = ["-enc", "UTF-8", path.path, "-"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: text, as: UTF8.self)
    }

    /// Renders one page to PNG with pdftoppm (it must succeed); keeps PDF and PNG in $CRYOLEDGER_KEEP_TEST_OUTPUT if set.
    static func renderPage(_ pdf: Data, name: String, page: Int = 1) throws {
        let keep = ProcessInfo.processInfo.environment["CRYOLEDGER_KEEP_TEST_OUTPUT"]
        let dir = keep.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("cl-coa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
        let path = dir.appendingPathComponent("\(name).pdf")
        try pdf.write(to: path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
        p.arguments = ["-png", "-r", "110", "-f", String(page), "-l", String(page), "-singlefile", path.path, dir.appendingPathComponent(name).path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).png").path))
    }
}
