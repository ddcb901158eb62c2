import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Testing

/// Issue 13, item 18: the chain-of-custody PDF cut action names, locations, reasons and the signature with "…".
/// An auditor's report is complete (ALCOA+) and shows each signature's printed name, own time and meaning (21 CFR 11.50).
@Suite("Chain-of-custody PDF: every field in full")
struct CustodyPDFTests {
    @Test("pdftotext finds every field of every event in full, long reasons and a signed event's manifestation included")
    func everyFieldInFull() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            let vials = try await f.lot("LOT-PDF-LONG-NUMBER-0001", vials: 2, box: "BOX-1")
            let longReason = "relocated after the quarterly dewar maintenance of the vapour-phase LN2 freezer; the rack was moved "
                + "to the spare dewar while the level sensor was recalibrated, see deviation DEV-2026-0042 and change control "
                + "CC-2026-0107 for the investigation, the impact assessment and the signatures of the responsible persons"
            _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 9, column: 9), reason: longReason, actor: mfg, logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "LOT-PDF-LONG-NUMBER-0001", to: .quarantine,
                                                reason: "manufacturing run complete; cryopreserved in the controlled-rate freezer CRF-02", actor: mfg, logger: Fixture.logger)
            let meaning = "rejected: endotoxin above the specification limit, confirmed by the repeat test of the retained sample"
            _ = try await f.store.transitionLot(number: "LOT-PDF-LONG-NUMBER-0001", to: .rejected, reason: "endotoxin 9 EU/mL against a limit of 5 EU/mL",
                                                signature: SignatureInput(password: Fixture.qaPassword, meaning: meaning),
                                                actor: f.user(.qa), logger: Fixture.logger)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cl-custody-\(UUID().uuidString).pdf").path
            defer { unlink(path) }
            let n = try await ReportWriter.write(store: f.store, scope: .lot("LOT-PDF-LONG-NUMBER-0001"), format: .pdf, to: path,
                                                 actor: f.user(.auditor), key: nil, logger: Fixture.logger)
            var events: [ExportedEvent] = []
            _ = try await f.store.exportCustody(scope: .lot("LOT-PDF-LONG-NUMBER-0001"), actor: f.user(.auditor), logger: Fixture.logger) { events.append($0) }
            #expect(n == events.count && n >= 6)

            // Content order: each table cell is drawn whole, so a wrapped cell reads as one piece once whitespace is ignored.
            let text = try Self.pdftotext(path)
            let squeezed = Self.squeeze(text)
            #expect(!text.contains("…") && !text.contains("..."), "the report cuts text")
            var signed = 0
            for e in events {
                var fields = [e.occurredAt, "\(e.subjectType) \(e.subjectId)", EventSentences.sentence(for: e.action), "\(e.actorName) (\(e.actorRole))",
                              e.fromState, e.toState, e.fromLocation, e.toLocation, e.reason]
                if let s = e.signatureManifestation {
                    fields += ["signed by \(s.printedName) at \(s.signedAt): \(s.meaning)"]
                    signed += 1
                }
                for field in fields where !field.isEmpty {
                    #expect(squeezed.contains(Self.squeeze(field)), "event \(e.id) (\(e.action)): '\(field)' is not in the PDF in full")
                }
            }
            #expect(signed == 1)
            #expect(squeezed.contains(Self.squeeze(longReason)) && squeezed.contains(Self.squeeze(meaning)))
        }
    }

    static func squeeze(_ s: String) -> String { String(s.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init)) }

    static func pdftotext(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        p.arguments = ["-raw", "-enc", "UTF-8", path, "-"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
