/// A box row as people read and type it: the letter printed on the box (A–Z), or its number (1–26).
public enum BoxRow {
    /// "A" for row 1, …, "Z" for 26; outside that, the number.
    public static func letter(_ row: Int) -> String {
        (1...26).contains(row) ? String(UnicodeScalar(UInt8(64 + row))) : String(row)
    }

    /// Row 3 from "C", "c" or "3" (surrounding spaces forgiven).
    public static func parse(_ text: String, field: String = "row") throws(DomainError) -> Int {
        let t = ScanText.normalised(text)
        if let n = Int(t), (1...26).contains(n) { return n }
        if t.count == 1, let b = t.utf8.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) { return Int(b - 64) }
        throw .invalid(field: field, rule: "must be the row's letter as printed on the box (A–Z) or its number (1–26)")
    }
}
