import CHpdf
import CryoDomain
import CryoStore
import Foundation

/// A chain-of-custody report an auditor can file: title, scope, when and by whom it was generated,
/// the verification result with the chain head, the events as a table, and "page n of N" on every page.
/// Rendered with libharu. The document is assembled in memory, so PDF reports suit one subject's
/// history or a lineage; very large periods belong in CSV or JSON exports, which stream.
public final class CustodyPDF {
    private let doc: HPDF_Doc
    private let font: HPDF_Font
    private let bold: HPDF_Font
    private var pages: [HPDF_Page] = []
    private var page: HPDF_Page?
    private var y: Float = 0
    private let width: Float = 842, height: Float = 595, margin: Float = 36
    public private(set) var rows = 0

    private let columns: [(title: String, width: Float)] = [
        ("#", 22), ("Time (UTC)", 100), ("Subject", 88), ("What happened", 108), ("By", 96),
        ("State", 80), ("Location", 100), ("Details, reason, signature", 0),
    ]
    private let fontSize: Float = 7, lineHeight: Float = 8.6, padding: Float = 4

    public init(title: String, scope: String, generatedBy: String, generatedAt: Date, verification: VerificationReport,
                treeHead: TreeHead? = nil) throws {
        guard let doc = HPDF_New(nil, nil) else { throw ReportError.pdf("cannot create a PDF document") }
        self.doc = doc
        HPDF_SetCompressionMode(doc, UInt32(HPDF_COMP_ALL))
        font = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding")
        bold = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding")
        HPDF_SetInfoAttr(doc, HPDF_INFO_TITLE, title)
        HPDF_SetInfoAttr(doc, HPDF_INFO_CREATOR, "CryoLedger")
        newPage()
        let f = ISO8601DateFormatter()
        text(title, x: margin, y: y, size: 16, font: bold)
        y -= 22
        for line in [
            "Scope: \(scope)",
            "Generated: \(f.string(from: generatedAt)) by \(generatedBy)",
            "Verification: " + (verification.intact
                ? "INTACT - \(verification.eventsChecked) events, \(verification.subjectsChecked) subjects, \(verification.checkpointsChecked) checkpoints recomputed"
                : "BROKEN - \(verification.problems.count) problems found in \(verification.eventsChecked) events (see audit verify)"),
            "Chain head (SHA-256 fold of all events): \(verification.chainHead)",
        ] + (treeHead.map { ["Transparency log: signed head of \($0.size) events, root hash \($0.rootHash.base64EncodedString()) (QR code, right)"] } ?? []) {
            for part in wrap(line, width: width - 2 * margin, size: 9) {
                text(part, x: margin, y: y, size: 9, font: font)
                y -= 13
            }
        }
        if let treeHead, let page = pages.last {
            // The head's root hash as a QR code, top right: an inspector compares it with the head of the JSON export.
            let qr = try Symbol(.qr, treeHead.rootHash.base64EncodedString())
            qr.draw(on: page, x: width - margin - 64, y: height - margin - 64, width: 64, height: 64)
        }
        y -= 6
        header()
    }

    deinit { HPDF_Free(doc) }

    /// One event as a table row. Every cell is wrapped to its column and never cut: a row is as tall as its tallest
    /// cell, and moves to the next page whole (a row taller than a page continues line by line). The last column holds
    /// the reason and, for a signing step, the manifestation of the signature with its own time (21 CFR 11.50).
    public func add(_ e: ExportedEvent) {
        let state = e.fromState.isEmpty && e.toState.isEmpty ? "" : "\(e.fromState.isEmpty ? "-" : e.fromState) -> \(e.toState.isEmpty ? "-" : e.toState)"
        let place = e.fromLocation.isEmpty && e.toLocation.isEmpty ? "" : "\(e.fromLocation.isEmpty ? "-" : e.fromLocation) -> \(e.toLocation.isEmpty ? "-" : e.toLocation)"
        var last = e.reason
        if let qc = Self.qcSummary(e) { last = qc + (last.isEmpty ? "" : "; " + last) }
        if let sig = e.signatureManifestation {
            last += (last.isEmpty ? "" : "; ") + "signed by \(sig.printedName) at \(sig.signedAt): \(sig.meaning)"
        } else if !e.signature.isEmpty {
            last += (last.isEmpty ? "" : "; ") + "signature: \(e.signature)"
        }
        let cells = [String(e.seq), e.occurredAt, "\(e.subjectType) \(e.subjectId)", EventSentences.sentence(for: e.action),
                     "\(e.actorName) (\(e.actorRole))", state, place, last]
        var widths: [Float] = []
        var x = margin
        for c in columns {
            let w = c.width == 0 ? width - margin - x : c.width
            widths.append(w)
            x += w
        }
        let wrapped = cells.enumerated().map { i, cell in wrap(cell, width: widths[i] - padding) }
        let lines = wrapped.map(\.count).max() ?? 1
        let rowHeight = Float(lines) * lineHeight + 1.4
        if rowHeight <= height - 2 * margin - 40 {
            if y - rowHeight < margin + 6 { newPage(); header() }
            // Each cell is drawn whole before the next, so text extraction in content order reads it in one piece.
            x = margin
            for (i, cellLines) in wrapped.enumerated() {
                for (n, line) in cellLines.enumerated() {
                    text(line, x: x, y: y - Float(n) * lineHeight, size: fontSize, font: font)
                }
                x += widths[i]
            }
            y -= rowHeight
        } else {
            // Taller than a page: line by line across the cells, continuing on the next pages.
            for n in 0..<lines {
                if y < margin + 6 { newPage(); header() }
                x = margin
                for (i, cellLines) in wrapped.enumerated() {
                    if n < cellLines.count { text(cellLines[n], x: x, y: y, size: fontSize, font: font) }
                    x += widths[i]
                }
                y -= lineHeight
            }
            y -= 1.4
        }
        rows += 1
    }

    public func write(to path: String) throws {
        for (i, p) in pages.enumerated() {
            draw(on: p, "Page \(i + 1) of \(pages.count)", x: width - margin - 60, y: margin - 18, size: 8, font: font)
            draw(on: p, "CryoLedger chain-of-custody report", x: margin, y: margin - 18, size: 8, font: font)
        }
        if rows == 0 {
            text("No events in scope.", x: margin, y: y, size: 9, font: font)
        }
        guard HPDF_SaveToFile(doc, path) == HPDF_OK else { throw ReportError.file("cannot write \(path)") }
    }

    private func newPage() {
        let p = HPDF_AddPage(doc)!
        HPDF_Page_SetSize(p, HPDF_PAGE_SIZE_A4, HPDF_PAGE_LANDSCAPE)
        pages.append(p)
        page = p
        y = height - margin - 10
    }

    private func header() {
        var x = margin
        for c in columns {
            let w = c.width == 0 ? width - margin - x : c.width
            text(c.title, x: x, y: y, size: 7.5, font: bold)
            x += w
        }
        HPDF_Page_SetLineWidth(page, 0.5)
        HPDF_Page_MoveTo(page, margin, y - 3)
        HPDF_Page_LineTo(page, width - margin, y - 3)
        HPDF_Page_Stroke(page)
        y -= 13
    }

    private func text(_ s: String, x: Float, y: Float, size: Float, font: HPDF_Font) {
        draw(on: page!, s, x: x, y: y, size: size, font: font)
    }

    private func draw(on p: HPDF_Page, _ s: String, x: Float, y: Float, size: Float, font: HPDF_Font) {
        HPDF_Page_BeginText(p)
        HPDF_Page_SetFontAndSize(p, font, size)
        let bytes = Self.winAnsi(s)
        _ = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextOut(p, x, y, $0) }
        }
        HPDF_Page_EndText(p)
    }

    private func textWidth(_ t: String, size: Float) -> Float {
        HPDF_Page_SetFontAndSize(page, font, size)
        let bytes = Self.winAnsi(t)
        return bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextWidth(page, $0) }
        }
    }

    /// A QC event's test and the value recorded, from its details: "Test viability: 92.5 (pass), analyst A. Analyst".
    static func qcSummary(_ e: ExportedEvent) -> String? {
        guard e.action.hasPrefix("qc."),
              let d = try? JSONDecoder().decode([String: String].self, from: Data(e.details.utf8)), let test = d["test"] else { return nil }
        var text = "Test \(test): \(d["value"].map { $0.isEmpty ? "-" : $0 } ?? "-")"
        if let outcome = d["outcome"] { text += " (\(outcome))" }
        if let analyst = d["analyst"], !analyst.isEmpty { text += ", analyst \(analyst)" }
        return text
    }

    /// A word too long for its column, in pieces that end after a hyphen, slash, dot or comma, so a line breaks
    /// there ("administration-" / "refused") rather than mid-word.
    static func breakable(_ word: String) -> [String] {
        var pieces: [String] = [], current = ""
        for ch in word {
            current.append(ch)
            if "-/.,_".contains(ch) { pieces.append(current); current = "" }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Greedy word wrap to `width`; a word longer than a line breaks after a hyphen or slash where it can, and only
    /// a piece still longer than a line is broken between characters. Never loses text.
    private func wrap(_ s: String, width: Float, size: Float? = nil) -> [String] {
        let size = size ?? fontSize
        func textWidth(_ t: String) -> Float { self.textWidth(t, size: size) }
        var out: [String] = []
        for paragraph in s.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
                let candidate = line.isEmpty ? word : line + " " + word
                if textWidth(candidate) <= width { line = candidate; continue }
                if textWidth(word) <= width { if !line.isEmpty { out.append(line) }; line = word; continue }
                // Longer than a line: pieces ending after a hyphen or slash, as many as fit on each line.
                var rest = line.isEmpty ? "" : line + " "
                for piece in Self.breakable(word) {
                    if textWidth(rest + piece) <= width { rest += piece; continue }
                    if !rest.trimmingCharacters(in: .whitespaces).isEmpty { out.append(rest.trimmingCharacters(in: .whitespaces)) }
                    rest = piece
                    // A piece still longer than a line is broken between characters.
                    while textWidth(rest) > width {
                        var cut = ""
                        for ch in rest {
                            if textWidth(cut + String(ch)) > width { break }
                            cut.append(ch)
                        }
                        if cut.isEmpty { cut = String(rest.first!) }
                        out.append(cut)
                        rest.removeFirst(cut.count)
                    }
                }
                line = rest
            }
            out.append(line)
        }
        while out.count > 1 && out.last!.isEmpty { out.removeLast() }
        return out
    }

    /// The standard fonts speak WinAnsi (CP1252); characters outside it become '?', arrows become '->'.
    static func winAnsi(_ s: String) -> [UInt8] {
        let replaced = s.replacingOccurrences(of: "→", with: "->").replacingOccurrences(of: "≤", with: "<=").replacingOccurrences(of: "≥", with: ">=")
        var bytes = Array((replaced.data(using: .windowsCP1252, allowLossyConversion: true) ?? Data(replaced.utf8)))
        bytes.append(0)
        return bytes
    }
}

public enum ReportError: Error, CustomStringConvertible {
    /// libharu could not build the document.
    case pdf(String)
    /// The report file could not be created or written.
    case file(String)
    /// Nothing to put in the report.
    case empty(String)
    public var description: String {
        switch self { case .pdf(let m), .file(let m), .empty(let m): return m }
    }
}
