import Foundation
import CryoDomain
import CryoStore

/// Vial labels as ZPL II for thermal label printers, one `^XA…^XZ` format per vial, for 2.0 × 1.0 inch cryo labels
/// (the stock of the PDF labels) at 300 dpi: `^PW600`, `^LL300`. The content is the PDF label's: the vial id with its
/// check character as a Data Matrix (`^BX`, ECC 200) and a Code 128 (`^BC`), product, lot and vial number, expiry,
/// cells per vial and storage; a product that opted in to ISBT 128 adds its DIN in words and a second Data Matrix
/// with the compound message (docs/labels-isbt128.md). A pure function: text in, text out.
public enum ZPLLabels {
    public static let dotsPerInch = 300
    public static let widthDots = 600
    public static let heightDots = 300

    public static func render(_ labels: [VialLabel]) -> String {
        labels.map(render).joined()
    }

    public static func render(_ label: VialLabel) -> String {
        var z = "^XA\n^CI28\n^PW\(widthDots)\n^LL\(heightDots)\n^LH0,0\n"
        // Data Matrix of the vial id, top left: 6 dots a module (0.5 mm), about 14 × 14 modules.
        z += "^FO20,20^BXN,6,200^FD\(field(label.vialId))^FS\n"
        // Text right of it.
        let product = label.productName.hasPrefix(label.productCode)
            ? String(label.productName.dropFirst(label.productCode.count)).trimmingCharacters(in: .whitespaces) : label.productName
        let lines: [(String, Int)] = [
            (label.vialId, 34),
            ("\(label.productCode)  \(product)", 22),
            ("LOT \(label.lotNumber)   VIAL \(label.ordinal)/\(label.vialCount)", 22),
            ("EXP \(label.expiresOn)", 26),
            ("\(grouped(label.cellsPerVial)) CAR+ cells/vial", 20),
            ("STORE AT OR BELOW \(VialLabels.celsius(label.storageMaxCelsius)) C", 18),
        ]
        var y = 18
        for (text, size) in lines {
            z += "^FO120,\(y)^A0N,\(size),\(size)^FB460,1,0,L^FH\\^FD\(field(text))^FS\n"
            y += size + 4
        }
        if let isbt = label.isbt128 {
            z += "^FO120,\(y)^A0N,20,20^FB330,1,0,L^FH\\^FDDIN \(field(isbt.dinEyeReadable))^FS\n"
            // The ISBT 128 compound message (DIN, product code, expiration), bottom right, 4 dots a module.
            z += "^FO470,190^BXN,4,200^FH\\^FD\(field(isbt.compoundMessage))^FS\n"
        }
        // Code 128 across the bottom: 2 dots a module, automatic code sets.
        z += "^FO20,222^BY2^BCN,60,N,N,N,A^FD\(field(label.vialId))^FS\n"
        z += "^PQ1\n^XZ\n"
        return z
    }

    /// Field data with `^`, `~` and `\` written as `^FH\` hex escapes, so no label text can end the field or issue a command.
    static func field(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "^": out += "\\5E"
            case "~": out += "\\7E"
            case "\\": out += "\\5C"
            case "\n", "\r", "\t": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func grouped(_ n: Int64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
