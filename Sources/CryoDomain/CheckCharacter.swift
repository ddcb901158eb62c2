/// ISO 7064 MOD 37-2, the check character ISBT 128 puts on its identifiers.
/// Input characters are 0-9 and A-Z; the check character may also be '*'.
public enum Mod37_2 {
    static let alphabet: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*")

    public static func checkCharacter(for body: String) -> Character? {
        checkValue(for: body).map { alphabet[$0] }
    }

    /// The check value (0-36) before it is mapped to a character; ISBT 128 also carries it as the flag pair 60 + value.
    public static func checkValue(for body: String) -> Int? {
        var p = 0
        for byte in body.utf8 {
            guard let v = value(of: byte), v < 36 else { return nil }
            p = ((p + v) * 2) % 37
        }
        return (38 - p) % 37
    }

    /// The value of an ASCII character in the alphabet (0-9, A-Z, '*'), without a search.
    @inline(__always)
    static func value(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A")) + 10
        case UInt8(ascii: "*"): return 36
        default: return nil
        }
    }

    public static func isValid(_ full: String) -> Bool {
        guard let last = full.last, full.count > 1 else { return false }
        return checkCharacter(for: String(full.dropLast())) == last
    }
}

/// A vial id: "CV", ten digits of serial, and a MOD 37-2 check character, e.g. `CV0000000001O`.
public struct VialID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(serial: Int) {
        precondition(serial > 0 && serial < 10_000_000_000)
        let digits = String(serial)
        let body = "CV" + String(repeating: "0", count: 10 - digits.count) + digits
        value = body + String(Mod37_2.checkCharacter(for: body)!)
    }

    /// Parses a scanned or typed id; the check character catches typos and transpositions.
    public init(parsing text: String, field: String = "vialId") throws(DomainError) {
        let candidate = ScanText.normalised(text)
        // CV, ten digits, a check character: checked byte by byte (bulk imports parse hundreds of thousands).
        let bytes = Array(candidate.utf8)
        guard bytes.count == 13, bytes[0] == UInt8(ascii: "C"), bytes[1] == UInt8(ascii: "V"),
              bytes[2..<12].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), Mod37_2.value(of: bytes[12]) != nil else {
            throw .invalid(field: field, rule: "must be CV followed by 10 digits and a check character, e.g. CV0000000001O")
        }
        guard Mod37_2.isValid(candidate) else {
            throw .invalid(field: field, rule: "check character does not match (ISO 7064 MOD 37-2): the id was mistyped or misread")
        }
        value = candidate
    }

    public var description: String { value }
}
