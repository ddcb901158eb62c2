import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Testing

/// Issue 13, item 18, for the certificate of analysis: its footer and the signed custody event's line were cut with "…".
@Suite("Certificate PDF: nothing cut")
struct CertificatePDFWrapTests {
    @Test("a long generator name and lot number print in full in the footer and the signature block")
    func longTextWraps() async throws {
        try await withFixture { f in
            try await CertificateTests.lot(f, "A329-W1", results: [])
            _ = try await f.store.transitionLot(number: "A329-W1", to: .rejected, reason: "viability below specification",
                                                signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected: out of specification"),
                                                actor: f.user(.qa), logger: Fixture.logger)
            var coa = try await f.store.certificateOfAnalysis(lotNumber: "A329-W1", actor: f.user(.auditor), logger: Fixture.logger)
            coa.generatedBy = "Dr. Maximiliane Alexandra Wilhelmina von Hohenzollern-Sigmaringen, Head of Quality Assurance Operations"
            coa.lot.lotNumber = "A329-W1-WITH-A-VERY-LONG-LOT-NUMBER-SUFFIX-0001"
            // Content-stream order (pdftotext -raw): each wrapped block is drawn line after line, so it reads as one piece.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cl-coa-wrap-\(UUID().uuidString).pdf").path
            defer { unlink(path) }
            try CertificatePDF(coa).write(to: path)
            let text = try CustodyPDFTests.pdftotext(path)
            let squeezed = CustodyPDFTests.squeeze(text)
            #expect(!text.contains("…"), "the certificate cuts text")
            #expect(squeezed.contains(CustodyPDFTests.squeeze("by \(coa.generatedBy)")), "the footer lost the generator's name")
            let s = coa.disposition.signature
            #expect(squeezed.contains(CustodyPDFTests.squeeze("lot \(coa.lot.lotNumber), seq \(s.custodyEventSeq) (event id \(s.custodyEventId)), recorded")),
                    "the signed custody event's line is cut")
        }
    }
}
