/// What a barcode scanner types: the id, then often a CR, a Tab or a space, sometimes in lowercase.
/// Every scanned id goes through here before it is parsed, in the console and the server alike.
public enum ScanText {
    /// The text without leading or trailing whitespace and control characters (CR, LF, Tab, GS, NUL …).
    public static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isNoise($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isNoise($0) })!
        return String(scalars[first...last])
    }

    /// The id as the records hold it: trimmed and in upper case.
    public static func normalised(_ text: String) -> String { trimmed(text).uppercased() }

    static func isNoise(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || s.properties.generalCategory == .control || s.properties.generalCategory == .format
    }
}
