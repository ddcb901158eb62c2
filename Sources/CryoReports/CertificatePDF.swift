import CHpdf
import CryoStore
import Foundation

/// A certificate of analysis as QA and auditors file it: A4 portrait, rendered with libharu.
/// Title, product and lot block with the coded donor id and dates, the release-testing table (test, method,
/// specification, result, unit, outcome; the header repeats on every page), corrections, the QA disposition,
/// the manifestation of the electronic signature (printed name, date and time UTC, meaning: 21 CFR 11.50)
/// with the hash of the custody event that carries it, who generated it and when, and "Page n of m".
///
/// Text is set in DejaVu Sans, embedded, when the font is installed (Debian fonts-dejavu-core), so "≥",
/// "IFN-γ" or "TCRαβ" print as written; otherwise in the standard Helvetica, where characters outside
/// WinAnsi are spelled out ("≥" as ">=", "γ" as "gamma").
public final class CertificatePDF {
    public static let defaultFontDirectory = "/usr/share/fonts/truetype/dejavu"

    enum Style { case regular, bold, mono }
    struct Line { var text: String; var style: Style; var size: Float; var gray: Float = 0; var red = false }

    let doc: HPDF_Doc
    var regular: HPDF_Font!
    var bold: HPDF_Font!
    let mono: HPDF_Font
    /// True when the regular and bold fonts are embedded TrueType with UTF-8 text.
    public private(set) var unicode = false
    var pages: [HPDF_Page] = []
    var page: HPDF_Page!
    var y: Float = 0
    let coa: CertificateOfAnalysis

    let pageWidth: Float = 595.28, pageHeight: Float = 841.89
    let left: Float = 48, right: Float = 48, top: Float = 48, bottom: Float = 58
    var contentWidth: Float { pageWidth - left - right }
    let columns: [(title: String, width: Float)] = [
        ("Test", 104), ("Method / analyst", 130), ("Specification", 82), ("Result", 66), ("Unit", 52), ("Outcome", 65.28),
    ]

    /// Lays the certificate out. `fontDirectory` holds DejaVuSans.ttf and DejaVuSans-Bold.ttf; nil uses the standard fonts.
    public init(_ coa: CertificateOfAnalysis, fontDirectory: String? = CertificatePDF.defaultFontDirectory) throws {
        guard let doc = HPDF_New(nil, nil) else { throw ReportError.pdf("cannot create a PDF document") }
        self.doc = doc
        self.coa = coa
        HPDF_SetCompressionMode(doc, UInt32(HPDF_COMP_ALL))
        mono = HPDF_GetFont(doc, "Courier", "WinAnsiEncoding")
        if let dir = fontDirectory {
            let paths = ["\(dir)/DejaVuSans.ttf", "\(dir)/DejaVuSans-Bold.ttf"]
            if paths.allSatisfy({ FileManager.default.isReadableFile(atPath: $0) }) {
                HPDF_UseUTFEncodings(doc)
                if let r = HPDF_LoadTTFontFromFile(doc, paths[0], HPDF_TRUE), let b = HPDF_LoadTTFontFromFile(doc, paths[1], HPDF_TRUE),
                   let rf = HPDF_GetFont(doc, r, "UTF-8"), let bf = HPDF_GetFont(doc, b, "UTF-8") {
                    regular = rf; bold = bf; unicode = true
                } else {
                    HPDF_ResetError(doc)
                }
            }
        }
        if !unicode {
            regular = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding")
            bold = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding")
        }
        HPDF_SetInfoAttr(doc, HPDF_INFO_TITLE, "Certificate of Analysis - lot \(Self.ascii(coa.lot.lotNumber))")
        HPDF_SetInfoAttr(doc, HPDF_INFO_SUBJECT, "\(Self.ascii(coa.product.code)) lot \(Self.ascii(coa.lot.lotNumber))")
        HPDF_SetInfoAttr(doc, HPDF_INFO_CREATOR, "CryoLedger")
        HPDF_SetInfoAttr(doc, HPDF_INFO_AUTHOR, Self.ascii(coa.generatedBy))
        layout()
    }

    deinit { HPDF_Free(doc) }

    public var pageCount: Int { pages.count }

    /// The finished document.
    public func data() throws -> Data {
        guard HPDF_SaveToStream(doc) == HPDF_OK else { throw ReportError.pdf("cannot assemble the certificate") }
        let size = Int(HPDF_GetStreamSize(doc))
        HPDF_ResetStream(doc)
        var out = Data(count: size)
        var read = 0
        try out.withUnsafeMutableBytes { (buf: UnsafeMutableRawBufferPointer) in
            let base = buf.bindMemory(to: UInt8.self).baseAddress!
            while read < size {
                var n = UInt32(size - read)
                let status = HPDF_ReadFromStream(doc, base + read, &n)
                read += Int(n)
                if n == 0 || (status != HPDF_OK && status != HPDF_STREAM_EOF) { break }
            }
            if read != size { throw ReportError.pdf("cannot read the certificate back (\(read) of \(size) bytes)") }
        }
        return out
    }

    public func write(to path: String) throws {
        do { try data().write(to: URL(fileURLWithPath: path)) } catch let e as ReportError { throw e } catch {
            throw ReportError.file("cannot write \(path): \(error.localizedDescription)")
        }
    }

    public static func render(_ coa: CertificateOfAnalysis) throws -> Data { try CertificatePDF(coa).data() }

    // MARK: Layout

    func layout() {
        newPage()
        titleBlock()
        lotBlock()
        testsTable()
        correctionsBlock()
        dispositionAndSignature()
        footers()
    }

    func titleBlock() {
        text("Certificate of Analysis", x: left, y: y - 20, style: .bold, size: 20)
        let brand = "CryoLedger"
        text(brand, x: pageWidth - right - width(brand, .bold, 10), y: y - 10, style: .bold, size: 10, gray: 0.35)
        let lotLabel = "Lot \(coa.lot.lotNumber)"
        text(lotLabel, x: pageWidth - right - width(lotLabel, .bold, 12), y: y - 25, style: .bold, size: 12)
        y -= 37
        for line in wrap(productName, .regular, 11, contentWidth) {
            text(line, x: left, y: y, style: .regular, size: 11, gray: 0.2)
            y -= 14
        }
        for line in wrap("Generated \(Self.second(coa.generatedAt)) by \(coa.generatedBy) (\(coa.generatedByRole)) from the CryoLedger system of record",
                         .regular, 8, contentWidth) {
            text(line, x: left, y: y, style: .regular, size: 8, gray: 0.4)
            y -= 11
        }
        y -= 2
        rule(y, weight: 1.2)
        y -= 16
    }

    /// "ALLO-501 anti-CD19 AlloCAR T" as it is when the name starts with the code, else "CODE — name".
    var productName: String {
        coa.product.name.hasPrefix(coa.product.code) ? coa.product.name : "\(coa.product.code) — \(coa.product.name)"
    }

    func lotBlock() {
        heading("Product and lot")
        let celsius = CertificateOfAnalysis.number(coa.product.storageMaxCelsius).replacingOccurrences(of: "-", with: "−")
        let storage = "\(coa.product.storageCondition), ≤ \(celsius) °C"
        let spec = coa.specification.map { "\(coa.product.code) version \($0.version), effective \($0.effectiveFrom)" } ?? "none in force at manufacture"
        let leftPairs = [
            ("Product", productName),
            ("Lot number", coa.lot.lotNumber),
            ("Donor (coded id)", coa.donorCode),
            ("Viable CAR+ T cells/vial", Self.grouped(coa.lot.cellsPerVial)),
            ("Vials in lot", String(coa.lot.vialCount)),
        ]
        let rightPairs = [
            ("Manufactured", coa.lot.manufacturedOn),
            ("Expiry", coa.lot.expiresOn),
            ("Storage", storage),
            ("Specification", spec),
            ("Lot status at issue", coa.lot.status),
        ]
        let colWidth = (contentWidth - 16) / 2
        let startY = y
        let leftEnd = pairs(leftPairs, x: left, width: colWidth, labelWidth: 104)
        y = startY
        let rightEnd = pairs(rightPairs, x: left + colWidth + 16, width: colWidth, labelWidth: 82)
        y = min(leftEnd, rightEnd) - 8
    }

    /// Label/value rows in one column; returns the y below the last row.
    func pairs(_ items: [(String, String)], x: Float, width: Float, labelWidth: Float) -> Float {
        for (label, value) in items {
            let labels = wrap(label, .regular, 8, labelWidth - 6)
            let values = wrap(value, .bold, 9, width - labelWidth)
            let rows = max(labels.count, values.count)
            for i in 0..<rows {
                if y < bottom + 6 { newPage() }
                if i < labels.count { text(labels[i], x: x, y: y, style: .regular, size: 8, gray: 0.4) }
                if i < values.count { text(values[i], x: x + labelWidth, y: y, style: .bold, size: 9) }
                y -= 11.5
            }
            y -= 2
        }
        return y
    }

    func testsTable() {
        heading("Release testing")
        if coa.tests.isEmpty {
            paragraph("No specification was in force at manufacture; no release tests apply.", size: 9)
            y -= 6
            return
        }
        y += 6
        tableHeader()
        var afterDisposition = false
        for t in coa.tests {
            var testCell = [Line(text: t.name, style: .regular, size: 8.5), Line(text: t.code, style: .regular, size: 7, gray: 0.45)]
            var method: [Line] = []
            var result: [Line] = []
            var unit = ""
            if let r = t.result {
                method.append(Line(text: r.method, style: .regular, size: 8.5))
                if let instrument = r.instrument { method.append(Line(text: instrument, style: .regular, size: 7, gray: 0.45)) }
                method.append(Line(text: "\(r.analyst), \(Self.day(r.recordedAt))", style: .regular, size: 7, gray: 0.45))
                result.append(Line(text: r.value + (r.recordedAfterDisposition ? " *" : ""), style: .bold, size: 8.5))
                if coa.corrections.contains(where: { $0.resultId == r.id }) {
                    result.append(Line(text: "corrected", style: .regular, size: 7, gray: 0.45))
                }
                afterDisposition = afterDisposition || r.recordedAfterDisposition
                unit = r.numericValue != nil ? (r.unit ?? t.unit ?? "") : ""
            } else {
                method.append(Line(text: "no result on record", style: .regular, size: 8.5, gray: 0.45))
                result.append(Line(text: "—", style: .regular, size: 8.5, gray: 0.45))
                unit = t.kind == "numeric" ? (t.unit ?? "") : ""
            }
            if coa.disposition.pendingTests.contains(t.code) {
                testCell.append(Line(text: "pending at release", style: .regular, size: 7, gray: 0.45))
            }
            let outcome: Line
            switch t.outcome {
            case "pass": outcome = Line(text: "PASS", style: .bold, size: 8.5)
            case "fail": outcome = Line(text: "FAIL", style: .bold, size: 8.5, red: true)
            default:
                outcome = Line(text: coa.disposition.decision == "released" ? "PENDING" : "NO RESULT", style: .bold, size: 8.5, gray: 0.35)
            }
            row([testCell, method, [Line(text: t.limit, style: .regular, size: 8.5)], result,
                 [Line(text: unit, style: .regular, size: 8.5)], [outcome]])
        }
        y -= 10
        if afterDisposition {
            paragraph("* recorded after the disposition was signed (for example a pending test completed during a hold).", size: 7.5, gray: 0.35)
        }
        y -= 8
    }

    func tableHeader() {
        let h: Float = 16
        HPDF_Page_SetRGBFill(page, 0.9, 0.91, 0.93)
        HPDF_Page_Rectangle(page, left, y - h, contentWidth, h)
        HPDF_Page_Fill(page)
        HPDF_Page_SetRGBFill(page, 0, 0, 0)
        var x = left
        for c in columns {
            text(c.title, x: x + 3, y: y - 11, style: .bold, size: 8)
            x += c.width
        }
        y -= h
    }

    /// One table row: each cell a list of lines, each wrapped to its column; the row moves to a new page whole.
    func row(_ cells: [[Line]]) {
        let padding: Float = 2.5
        var wrapped: [[Line]] = []
        for (i, cell) in cells.enumerated() {
            var lines: [Line] = []
            for line in cell {
                for part in wrap(line.text, line.style, line.size, columns[i].width - 2 * padding) {
                    var l = line
                    l.text = part
                    lines.append(l)
                }
            }
            wrapped.append(lines)
        }
        let height = wrapped.map { $0.reduce(Float(0)) { $0 + $1.size + 2.2 } }.max()! + 2 * padding
        if y - height < bottom {
            newPage()
            heading("Release testing (continued)")
            y += 6
            tableHeader()
        }
        var x = left
        for (i, lines) in wrapped.enumerated() {
            var ly = y - padding - (lines.first?.size ?? 8)
            for l in lines {
                text(l.text, x: x + padding, y: ly, style: l.style, size: l.size, gray: l.gray, red: l.red)
                ly -= l.size + 2.2
            }
            x += columns[i].width
        }
        y -= height
        rule(y + 1, weight: 0.3, gray: 0.75)
    }

    func correctionsBlock() {
        guard !coa.corrections.isEmpty else { return }
        heading("Corrections")
        for c in coa.corrections {
            paragraph("\(c.testName): result \(c.resultId) (\(c.correctedValue)) supersedes result \(c.supersedes) (\(c.previousValue)). "
                      + "Reason: \(c.reason). Recorded by \(c.recordedBy), \(Self.minute(c.recordedAt)). Both results stay on record.",
                      size: 8.5, indent: 10, bullet: true)
            y -= 3
        }
        y -= 6
    }

    var dispositionItems: [(String, String)] {
        let d = coa.disposition
        let kind: String
        switch d.kind {
        case "conditional": kind = "conditional release"
        case "out-of-specification": kind = "out-of-specification release"
        default: kind = d.decision == "released" ? "standard release" : ""
        }
        var items: [(String, String)] = [
            ("Decision", d.decision.uppercased() + (kind.isEmpty ? "" : " (\(kind))")),
            ("Decided", "\(Self.second(d.decidedAt)) by \(d.decidedBy) (\(d.decidedByRole))"),
        ]
        if let reason = d.reason { items.append(("Reason", reason)) }
        if let justification = d.justification { items.append(("Justification", justification)) }
        if !d.pendingTests.isEmpty {
            let names = d.pendingTests.map { code in coa.tests.first { $0.code == code }.map { "\($0.name) (\(code))" } ?? code }
            items.append(("Pending tests", names.joined(separator: ", ") + ": released before these results were available"))
        }
        if !d.restrictedTo.isEmpty { items.append(("Restricted to", "patients " + d.restrictedTo.joined(separator: ", ") + " only")) }
        if coa.lot.status != d.decision {
            items.append(("Note", "the lot's status is now \(coa.lot.status); see its chain-of-custody report"))
        }
        return items
    }

    let dispositionLabelWidth: Float = 98
    let signatureLabelWidth: Float = 120

    /// The height `pairs` will take for `items`.
    func pairsHeight(_ items: [(String, String)], width: Float, labelWidth: Float) -> Float {
        items.reduce(Float(0)) { sum, item in
            let rows = max(wrap(item.0, .regular, 8, labelWidth - 6).count, wrap(item.1, .bold, 9, width - labelWidth).count)
            return sum + Float(rows) * 11.5 + 2
        }
    }

    /// The disposition and its signature belong together: they start a new page together unless they need more than a page.
    func dispositionAndSignature() {
        let items = dispositionItems
        // A heading takes 22 points (see heading()).
        let needed = 22 + pairsHeight(items, width: contentWidth, labelWidth: dispositionLabelWidth) + 8 + 22 + signatureBox().height
        if needed < pageHeight - top - bottom - 40 { ensure(needed) }
        heading("QA disposition")
        y = pairs(items, x: left, width: contentWidth, labelWidth: dispositionLabelWidth) - 8
        signatureBlock()
    }

    func signatureBox() -> (height: Float, values: [(String, [String])], statement: [String], check: [String], event: [String]) {
        let s = coa.disposition.signature
        let statement = "Electronic signature executed by re-entry of the signer's password (21 CFR 11.200). The printed name, the date and time "
            + "and the meaning are part of the signed custody event, whose hash links this certificate to the audit trail (21 CFR 11.50, 11.70)."
        let valueWidth = contentWidth - signatureLabelWidth - 10
        let values = [("Printed name", s.printedName), ("Date and time (UTC)", Self.second(s.signedAt)), ("Meaning", s.meaning)]
            .map { ($0.0, wrap($0.1, .bold, 10.5, valueWidth)) }
        let check = s.hashVerified ? "recomputed from the stored event when generated: matches"
                                   : "DOES NOT MATCH the stored event: run cryoledger audit verify before relying on this certificate"
        let statementLines = wrap(statement, .regular, 7.5, contentWidth - 20)
        let checkLines = wrap(check, .bold, 7.5, valueWidth)
        let eventLines = wrap("lot \(coa.lot.lotNumber), seq \(s.custodyEventSeq) (event id \(s.custodyEventId)), recorded \(Self.second(s.custodyEventAt))",
                              .regular, 8.5, valueWidth)
        let valueLines = values.reduce(0) { $0 + $1.1.count }
        let height = 16 + Float(valueLines) * 13 + 6 + Float(statementLines.count) * 9.5 + 8 + Float(eventLines.count + 1) * 12
            + Float(checkLines.count) * 9.5 + 4
        return (height, values, statementLines, checkLines, eventLines)
    }

    func signatureBlock() {
        let s = coa.disposition.signature
        let box = signatureBox()
        ensure(box.height + 22)
        heading("Electronic signature")
        let boxTop = y + 4
        HPDF_Page_SetRGBStroke(page, 0.2, 0.2, 0.2)
        HPDF_Page_SetLineWidth(page, 0.8)
        HPDF_Page_Rectangle(page, left, boxTop - box.height, contentWidth, box.height)
        HPDF_Page_Stroke(page)
        let valueX = left + signatureLabelWidth
        y -= 12
        for (label, lines) in box.values {
            text(label, x: left + 10, y: y, style: .regular, size: 8, gray: 0.4)
            for line in lines {
                text(line, x: valueX, y: y, style: .bold, size: 10.5)
                y -= 13
            }
        }
        y -= 6
        for line in box.statement {
            text(line, x: left + 10, y: y, style: .regular, size: 7.5, gray: 0.3)
            y -= 9.5
        }
        y -= 8
        text("Custody event", x: left + 10, y: y, style: .regular, size: 8, gray: 0.4)
        for line in box.event {
            text(line, x: valueX, y: y, style: .regular, size: 8.5)
            y -= 12
        }
        text("SHA-256", x: left + 10, y: y, style: .regular, size: 8, gray: 0.4)
        text(s.custodyEventHash, x: valueX, y: y, style: .mono, size: 7.8)
        y -= 12
        for line in box.check {
            text(line, x: valueX, y: y, style: s.hashVerified ? .regular : .bold, size: 7.5, gray: s.hashVerified ? 0.3 : 0, red: !s.hashVerified)
            y -= 9.5
        }
        y = boxTop - box.height - 14
    }

    func footers() {
        // Wrapped, never cut: a long generator name takes a second footer line.
        let label = wrap("Certificate of Analysis · \(coa.product.code) · Lot \(coa.lot.lotNumber) · generated \(Self.second(coa.generatedAt)) by \(coa.generatedBy)",
                         .regular, 7.5, contentWidth - 70)
        for (i, p) in pages.enumerated() {
            page = p
            rule(bottom - 22, weight: 0.4, gray: 0.6)
            for (n, line) in label.enumerated() {
                text(line, x: left, y: bottom - 34 - Float(n) * 9, style: .regular, size: 7.5, gray: 0.35)
            }
            let n = "Page \(i + 1) of \(pages.count)"
            text(n, x: pageWidth - right - width(n, .regular, 8), y: bottom - 34, style: .regular, size: 8)
        }
    }
}
