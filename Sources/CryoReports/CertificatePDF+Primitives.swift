import CHpdf
import Foundation

/// Pages, text, rules and wrapping on libharu, and the formatting of dates and numbers for the certificate.
extension CertificatePDF {
    // MARK: Primitives

    func newPage() {
        let p = HPDF_AddPage(doc)!
        HPDF_Page_SetSize(p, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT)
        pages.append(p)
        page = p
        y = pageHeight - top
        if pages.count > 1 {
            let head = "Certificate of Analysis — Lot \(coa.lot.lotNumber) (continued)"
            text(head, x: left, y: y - 8, style: .bold, size: 9, gray: 0.3)
            y -= 14
            rule(y, weight: 0.4, gray: 0.6)
            y -= 14
        }
    }

    /// Starts a new page unless `space` points fit above the bottom margin.
    func ensure(_ space: Float) {
        if y - space < bottom { newPage() }
    }

    func heading(_ s: String) {
        ensure(46)
        if y < pageHeight - top - 30 { y -= 4 }
        text(s, x: left, y: y, style: .bold, size: 11)
        y -= 5
        rule(y, weight: 0.5, gray: 0.55)
        y -= 13
    }

    func paragraph(_ s: String, size: Float, gray: Float = 0, indent: Float = 0, bullet: Bool = false) {
        for (i, line) in wrap(s, .regular, size, contentWidth - indent).enumerated() {
            ensure(size + 3)
            if bullet && i == 0 { text("•", x: left, y: y, style: .regular, size: size) }
            text(line, x: left + indent, y: y, style: .regular, size: size, gray: gray)
            y -= size + 3
        }
    }

    func rule(_ at: Float, weight: Float, gray: Float = 0) {
        HPDF_Page_SetRGBStroke(page, gray, gray, gray)
        HPDF_Page_SetLineWidth(page, weight)
        HPDF_Page_MoveTo(page, left, at)
        HPDF_Page_LineTo(page, pageWidth - right, at)
        HPDF_Page_Stroke(page)
    }

    func font(_ style: Style) -> HPDF_Font {
        switch style {
        case .regular: return regular!
        case .bold: return bold!
        case .mono: return mono
        }
    }

    /// The bytes libharu takes for `s` in `style`'s font: UTF-8 for the embedded fonts, WinAnsi for the standard ones.
    func encode(_ s: String, _ style: Style) -> [UInt8] {
        var bytes = style != .mono && unicode ? Array(s.utf8) : Self.winAnsi(s)
        bytes.append(0)
        return bytes
    }

    func text(_ s: String, x: Float, y: Float, style: Style, size: Float, gray: Float = 0, red: Bool = false) {
        guard !s.isEmpty else { return }
        let bytes = encode(s, style)
        HPDF_Page_BeginText(page)
        HPDF_Page_SetFontAndSize(page, font(style), size)
        if red { HPDF_Page_SetRGBFill(page, 0.75, 0.05, 0.05) } else { HPDF_Page_SetRGBFill(page, gray, gray, gray) }
        _ = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextOut(page, x, y, $0) }
        }
        HPDF_Page_EndText(page)
        HPDF_Page_SetRGBFill(page, 0, 0, 0)
    }

    func width(_ s: String, _ style: Style, _ size: Float) -> Float {
        let bytes = encode(s, style)
        let w = bytes.withUnsafeBufferPointer { HPDF_Font_TextWidth(font(style), $0.baseAddress!, UInt32(bytes.count - 1)) }
        return Float(w.width) * size / 1000
    }

    /// Greedy word wrap to `maxWidth`; a word longer than a line is broken between characters. Never loses text.
    func wrap(_ s: String, _ style: Style, _ size: Float, _ maxWidth: Float) -> [String] {
        var out: [String] = []
        for paragraph in s.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
                let candidate = line.isEmpty ? word : line + " " + word
                if width(candidate, style, size) <= maxWidth { line = candidate; continue }
                if !line.isEmpty { out.append(line); line = "" }
                var rest = word
                while width(rest, style, size) > maxWidth {
                    var piece = ""
                    for ch in rest {
                        if width(piece + String(ch), style, size) > maxWidth { break }
                        piece.append(ch)
                    }
                    if piece.isEmpty { piece = String(rest.first!) }
                    out.append(piece)
                    rest.removeFirst(piece.count)
                }
                line = rest
            }
            out.append(line)
        }
        while out.count > 1 && out.last!.isEmpty { out.removeLast() }
        return out
    }

    // MARK: Formatting

    static let utc: TimeZone = TimeZone(identifier: "UTC")!

    static func second(_ d: Date) -> String { format(d, "yyyy-MM-dd HH:mm:ss") + " UTC" }
    static func day(_ d: Date) -> String { format(d, "yyyy-MM-dd") }
    static func minute(_ d: Date) -> String { format(d, "yyyy-MM-dd HH:mm") + " UTC" }

    static func format(_ d: Date, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = utc
        f.dateFormat = pattern
        return f.string(from: d)
    }

    static func grouped(_ n: Int64) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Characters outside WinAnsi (CP1252) spelled out for the standard fonts.
    static let spelledOut: [Character: String] = [
        "≥": ">=", "≤": "<=", "→": "->", "−": "-", "≠": "!=", "×": "x", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta",
        "ε": "epsilon", "κ": "kappa", "λ": "lambda", "μ": "µ", "σ": "sigma", "τ": "tau", "ω": "omega", "Δ": "Delta", "Ω": "Ohm",
    ]

    static func winAnsi(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        for ch in s {
            if let data = String(ch).data(using: .windowsCP1252), !data.isEmpty {
                out.append(contentsOf: data)
            } else if let spelled = spelledOut[ch], let data = spelled.data(using: .windowsCP1252) {
                out.append(contentsOf: data)
            } else {
                out.append(UInt8(ascii: "?"))
            }
        }
        return out
    }

    /// For the document information dictionary, which libharu writes as plain bytes.
    static func ascii(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.isASCII ? $0 : "?" }))
    }
}
