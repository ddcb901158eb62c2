import CHpdf
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
        ("#", 22), ("Time (UTC)", 96), ("Subject", 92), ("Action", 72), ("By", 112),
        ("State", 88), ("Location", 106), ("Reason / signature", 0),
    ]

    public init(title: String, scope: String, generatedBy: String, generatedAt: Date, verification: VerificationReport) throws {
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
        ] {
            text(line, x: margin, y: y, size: 9, font: font)
            y -= 13
        }
        y -= 6
        header()
    }

    deinit { HPDF_Free(doc) }

    public func add(_ e: ExportedEvent) {
        if y < margin + 30 { newPage(); header() }
        let state = e.fromState.isEmpty && e.toState.isEmpty ? "" : "\(e.fromState.isEmpty ? "-" : e.fromState) -> \(e.toState.isEmpty ? "-" : e.toState)"
        let place = e.fromLocation.isEmpty && e.toLocation.isEmpty ? "" : "\(e.fromLocation.isEmpty ? "-" : e.fromLocation) -> \(e.toLocation.isEmpty ? "-" : e.toLocation)"
        var last = e.reason
        if !e.signature.isEmpty, let data = e.signature.data(using: .utf8),
           let sig = try? JSONSerialization.jsonObject(with: data) as? [String: String] {
            last += (last.isEmpty ? "" : "; ") + "signed by \(sig["printedName"] ?? "?"): \(sig["meaning"] ?? "")"
        }
        let cells = [String(e.seq), String(e.occurredAt.prefix(23)), "\(e.subjectType) \(e.subjectId)", e.action,
                     "\(e.actorName) (\(e.actorRole))", state, place, last]
        var x = margin
        for (i, cell) in cells.enumerated() {
            let w = columns[i].width == 0 ? width - margin - x : columns[i].width
            text(fit(cell, width: w - 4, size: 7), x: x, y: y, size: 7, font: font)
            x += w
        }
        y -= 10
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
        guard HPDF_SaveToFile(doc, path) == HPDF_OK else { throw ReportError.pdf("cannot write \(path)") }
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

    private func fit(_ s: String, width: Float, size: Float) -> String {
        var out = s
        func w(_ t: String) -> Float {
            HPDF_Page_SetFontAndSize(page, font, size)
            let bytes = Self.winAnsi(t)
            return bytes.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextWidth(page, $0) }
            }
        }
        if w(out) <= width { return out }
        while !out.isEmpty && w(out + "...") > width { out.removeLast() }
        return out + "..."
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
    case pdf(String)
    public var description: String {
        switch self { case .pdf(let m): return m }
    }
}
