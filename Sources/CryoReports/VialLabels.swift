import CHpdf
import CZint
import CryoStore
import Foundation

/// Cryogenic vial labels: 2 × 1 inch (50.8 × 25.4 mm), the size of common cryo-resistant wrap labels.
/// Each carries the vial id with its check character as a Data Matrix (left) and as a Code 128
/// (bottom, full width), and as text with product, lot, vial number, expiry and storage condition.
/// The symbols are encoded by zint and drawn as vector rectangles into a libharu PDF, so they stay
/// sharp at any printer resolution. A sheet is A4 with 3 × 10 labels and light cut guides;
/// a single label is a PDF page of the label's own size (for label printers), and its PNG is that
/// page rasterised by poppler's `pdftoppm`.
public enum VialLabels {
    static let mm: Float = 72 / 25.4
    public static let labelWidth: Float = 50.8 * mm
    public static let labelHeight: Float = 25.4 * mm

    /// A4 sheet(s) of labels, 30 a page.
    public static func writeSheet(_ labels: [VialLabel], to path: String) throws {
        let pdf = try LabelPDF()
        let pageW: Float = 595.28, pageH: Float = 841.89
        let columns = 3, rows = 10
        let gapX: Float = 6 * mm, gapY: Float = 3 * mm
        let left = (pageW - Float(columns) * labelWidth - Float(columns - 1) * gapX) / 2
        let top = pageH - (pageH - Float(rows) * labelHeight - Float(rows - 1) * gapY) / 2
        var page: HPDF_Page?
        for (i, label) in labels.enumerated() {
            let slot = i % (columns * rows)
            if slot == 0 {
                page = pdf.addPage(width: pageW, height: pageH)
                let sheet = i / (columns * rows) + 1, sheets = (labels.count + columns * rows - 1) / (columns * rows)
                pdf.text(page!, "CryoLedger vial labels - \(labels.count) label\(labels.count == 1 ? "" : "s"), sheet \(sheet) of \(sheets)",
                         x: left, y: pageH - 20, size: 7, bold: false)
            }
            let x = left + Float(slot % columns) * (labelWidth + gapX)
            let y = top - Float(slot / columns + 1) * labelHeight - Float(slot / columns) * gapY
            try draw(label, on: page!, pdf: pdf, x: x, y: y, cutGuide: true)
        }
        if labels.isEmpty { throw ReportError.empty("no labels to print") }
        try pdf.save(to: path)
    }

    /// One label on a page of its own size.
    public static func writeSingle(_ label: VialLabel, to path: String) throws {
        let pdf = try LabelPDF()
        let page = pdf.addPage(width: labelWidth, height: labelHeight)
        try draw(label, on: page, pdf: pdf, x: 0, y: 0, cutGuide: false)
        try pdf.save(to: path)
    }

    /// One label as a PNG at `dpi`: the single-label PDF rasterised by `pdftoppm` (Debian poppler-utils).
    public static func writePNG(_ label: VialLabel, to path: String, dpi: Int = 600) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-label-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pdfPath = dir.appendingPathComponent("label.pdf").path
        try writeSingle(label, to: pdfPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pdftoppm", "-png", "-r", String(dpi), "-singlefile", pdfPath, dir.appendingPathComponent("label").path]
        process.standardInput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { throw ReportError.file("cannot run pdftoppm (install poppler-utils): \(error)") }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReportError.pdf("pdftoppm failed: \(String(decoding: message, as: UTF8.self))")
        }
        let png = dir.appendingPathComponent("label.png")
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.copyItem(at: png, to: URL(fileURLWithPath: path))
    }

    static func draw(_ label: VialLabel, on page: HPDF_Page, pdf: LabelPDF, x: Float, y: Float, cutGuide: Bool) throws {
        let m: Float = 1.6 * mm
        if cutGuide {
            HPDF_Page_SetGrayStroke(page, 0.75)
            HPDF_Page_SetLineWidth(page, 0.3)
            HPDF_Page_Rectangle(page, x, y, labelWidth, labelHeight)
            HPDF_Page_Stroke(page)
            HPDF_Page_SetGrayStroke(page, 0)
        }
        // Data Matrix, top left, square.
        let dmSize: Float = 13 * mm
        let dm = try Symbol(.dataMatrix, label.vialId)
        dm.draw(on: page, x: x + m, y: y + labelHeight - m - dmSize, width: dmSize, height: dmSize)
        // Code 128 across the bottom.
        let barHeight: Float = 6.2 * mm
        let code = try Symbol(.code128, label.vialId)
        code.draw(on: page, x: x + m, y: y + m, width: labelWidth - 2 * m, height: barHeight)
        // Text to the right of the Data Matrix.
        let tx = x + m + dmSize + 1.6 * mm
        let textWidth = x + labelWidth - m - tx
        var ty = y + labelHeight - m - 6.4
        pdf.text(page, label.vialId, x: tx, y: ty, size: 7.6, bold: true, width: textWidth)
        let product = label.productName.hasPrefix(label.productCode)
            ? String(label.productName.dropFirst(label.productCode.count)).trimmingCharacters(in: .whitespaces) : label.productName
        let lines: [(String, Float, Bool, Float)] = [   // text, size, bold, distance from the line above
            ("\(label.productCode)  \(product)", 5.4, false, 7.0),
            ("LOT \(label.lotNumber)   VIAL \(label.ordinal)/\(label.vialCount)", 5.4, false, 6.2),
            ("EXP \(label.expiresOn)", 5.8, true, 6.2),
            ("STORE AT OR BELOW \(Self.celsius(label.storageMaxCelsius)) °C", 4.8, false, 6.0),
            (label.storageCondition, 4.6, false, 5.2),
            ("Caution: investigational use only", 4.2, false, 5.0),
        ]
        for (text, size, bold, step) in lines {
            ty -= step
            pdf.text(page, text, x: tx, y: ty, size: size, bold: bold, width: textWidth)
        }
    }

    static func celsius(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// A barcode symbol encoded by zint, as vector rectangles in zint's own units.
struct Symbol {
    enum Kind { case code128, dataMatrix, qr }
    let width: Float
    let height: Float
    let rectangles: [(x: Float, y: Float, width: Float, height: Float)]

    init(_ kind: Kind, _ data: String) throws {
        guard let symbol = ZBarcode_Create() else { throw ReportError.pdf("zint: cannot create a symbol") }
        defer { ZBarcode_Delete(symbol) }
        switch kind {
        case .code128:
            symbol.pointee.symbology = BARCODE_CODE128
            symbol.pointee.height = 20
        case .dataMatrix:
            symbol.pointee.symbology = BARCODE_DATAMATRIX
            symbol.pointee.option_3 = DM_SQUARE
        case .qr:
            symbol.pointee.symbology = BARCODE_QRCODE
        }
        symbol.pointee.show_hrt = 0
        symbol.pointee.output_options |= BARCODE_QUIET_ZONES
        let bytes = Array(data.utf8)
        let status = ZBarcode_Encode_and_Buffer_Vector(symbol, bytes, Int32(bytes.count), 0)
        guard status < ZINT_ERROR, let vector = symbol.pointee.vector else {
            let message = withUnsafeBytes(of: symbol.pointee.errtxt) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ReportError.pdf("zint cannot encode '\(data)': \(message)")
        }
        width = vector.pointee.width
        height = vector.pointee.height
        var rects: [(Float, Float, Float, Float)] = []
        var r = vector.pointee.rectangles
        while let rect = r {
            // colour -1 is the foreground; anything else (white) is background.
            if rect.pointee.colour == -1 {
                rects.append((rect.pointee.x, rect.pointee.y, rect.pointee.width, rect.pointee.height))
            }
            r = rect.pointee.next
        }
        rectangles = rects
    }

    /// Draws the symbol scaled into the box (x, y, width, height), y up as PDF has it.
    func draw(on page: HPDF_Page, x: Float, y: Float, width w: Float, height h: Float) {
        let sx = w / width, sy = h / height
        HPDF_Page_SetGrayFill(page, 0)
        for r in rectangles {
            HPDF_Page_Rectangle(page, x + r.x * sx, y + h - (r.y + r.height) * sy, r.width * sx, r.height * sy)
        }
        HPDF_Page_Fill(page)
    }
}

/// A libharu document with the standard fonts.
final class LabelPDF {
    let doc: HPDF_Doc
    let font: HPDF_Font
    let bold: HPDF_Font

    init() throws {
        guard let doc = HPDF_New(nil, nil) else { throw ReportError.pdf("cannot create a PDF document") }
        self.doc = doc
        HPDF_SetCompressionMode(doc, UInt32(HPDF_COMP_ALL))
        font = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding")
        bold = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding")
        HPDF_SetInfoAttr(doc, HPDF_INFO_TITLE, "Vial labels")
        HPDF_SetInfoAttr(doc, HPDF_INFO_CREATOR, "CryoLedger")
    }

    deinit { HPDF_Free(doc) }

    func addPage(width: Float, height: Float) -> HPDF_Page {
        let page = HPDF_AddPage(doc)!
        HPDF_Page_SetWidth(page, width)
        HPDF_Page_SetHeight(page, height)
        return page
    }

    /// Draws text, shortened with "..." to `width` when given.
    func text(_ page: HPDF_Page, _ s: String, x: Float, y: Float, size: Float, bold isBold: Bool, width: Float? = nil) {
        let f = isBold ? bold : font
        HPDF_Page_SetFontAndSize(page, f, size)
        var bytes = CustodyPDF.winAnsi(s)
        func measure(_ b: [UInt8]) -> Float {
            b.withUnsafeBufferPointer { buf in buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextWidth(page, $0) } }
        }
        if let width, measure(bytes) > width {
            let dots = Array("...".utf8)
            bytes.removeLast()
            while !bytes.isEmpty && measure(bytes + dots + [0]) > width { bytes.removeLast() }
            bytes += dots + [0]
        }
        HPDF_Page_BeginText(page)
        _ = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { HPDF_Page_TextOut(page, x, y, $0) }
        }
        HPDF_Page_EndText(page)
    }

    func save(to path: String) throws {
        guard HPDF_SaveToFile(doc, path) == HPDF_OK else { throw ReportError.file("cannot write \(path)") }
    }
}
