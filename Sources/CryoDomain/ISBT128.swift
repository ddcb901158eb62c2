import CivilCalendar

/// ISBT 128 (ICCBBA ST-001) data structures on CryoLedger's vial labels; the formats and the mapping from our ids
/// are written down in docs/labels-isbt128.md. Each function here is the one place its rule lives.
public enum ISBT128 {
    /// The facility identification number (FIN) of this installation, as ICCBBA assigns it: one character
    /// A-N, P-Z or 1-9 (no letter O, which reads as zero) and four digits, e.g. `W1234`.
    public static func facilityIdentificationNumber(_ text: String, field: String = "fin") throws(DomainError) -> String {
        let b = Array(text.utf8)
        let first = b.first ?? 0
        let firstOK = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) && first != UInt8(ascii: "O")
            || (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first)
        guard b.count == 5, firstOK, b.dropFirst().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .invalid(field: field, rule: "an ISBT 128 facility identification number is a letter A-Z other than O (or a digit 1-9) and four digits, e.g. W1234")
        }
        return text
    }

    /// A donation identification number: FIN, two-digit year, six-digit sequence, and its ISO 7064 MOD 37-2
    /// check character computed over those 13 characters (never over the data identifier or the flags).
    public struct DonationIdentificationNumber: Sendable, Equatable {
        public let fin: String
        public let year: Int
        public let sequence: Int

        /// The 13 characters `αppppyynnnnnn`.
        public var body: String { fin + twoDigits(year) + sixDigits(sequence) }
        public var checkValue: Int { Mod37_2.checkValue(for: body)! }
        public var checkCharacter: Character { Mod37_2.checkCharacter(for: body)! }
        /// Flag characters `ff` carrying the check value in the bar code (60 + value), so a reader can verify the DIN.
        public var flags: String { String(60 + checkValue) }
        /// Data structure 001: `=αppppyynnnnnnff`.
        public var dataStructure: String { "=" + body + flags }
        /// As printed under the bar code: `W1234 26 000123 K` (the check character is boxed on a real label).
        public var eyeReadable: String { "\(fin) \(twoDigits(year)) \(sixDigits(sequence)) \(checkCharacter)" }
    }

    /// Checks the parts of a DIN and builds it.
    public static func donationIdentificationNumber(fin: String, year: Int, sequence: Int) throws(DomainError) -> DonationIdentificationNumber {
        let fin = try facilityIdentificationNumber(fin)
        guard (0...99).contains(year) else { throw .invalid(field: "year", rule: "the DIN year is two digits, 00 to 99") }
        guard (1...999_999).contains(sequence) else {
            throw .invalid(field: "sequence", rule: "the DIN sequence number is six digits, 000001 to 999999")
        }
        return DonationIdentificationNumber(fin: fin, year: year, sequence: sequence)
    }

    /// Our mapping: one DIN per vial. The year is the lot's year of manufacture, the sequence the vial id's serial
    /// (`CV0000001234x` is sequence 001234), so the DIN is unique as long as serials stay below one million.
    public static func donationIdentificationNumber(vialId: String, manufacturedOn: CalendarDay, fin: String) throws(DomainError) -> DonationIdentificationNumber {
        let id = try VialID(parsing: vialId)
        let serial = Int(id.value.dropFirst(2).prefix(10))!
        guard serial <= 999_999 else {
            throw .conflict(field: "vialId", rule: "vial \(id.value) has serial \(serial): an ISBT 128 DIN holds six digits of sequence, so only serials up to 999999 can be labelled")
        }
        let year = CivilCalendar.civil(fromDays: manufacturedOn.ordinal).year % 100
        return try donationIdentificationNumber(fin: fin, year: year, sequence: serial)
    }

    /// Data structure 003, product code: `=<` then the product description code `αoooo` (ICCBBA's table; `S` codes
    /// are cellular therapy), the type of donation `t`, and the divisions `ds` (`00`: not divided).
    public static func productCode(description: String, donationType: String, divisions: String = "00") throws(DomainError) -> String {
        let d = Array(description.utf8)
        guard d.count == 5, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(d[0]), d.dropFirst().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .invalid(field: "isbt128ProductDescription", rule: "an ISBT 128 product description code is a letter and four digits, e.g. S1194")
        }
        let t = Array(donationType.utf8)
        guard t.count == 1, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(t[0]) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(t[0]) else {
            throw .invalid(field: "isbt128DonationType", rule: "the ISBT 128 type of donation is one character, A-Z or 0-9 (e.g. V for volunteer allogeneic, 0 for not specified)")
        }
        let s = Array(divisions.utf8)
        guard divisions == "00" || (s.count == 2 && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(s[0])
                                    && ((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(s[1]) || s[1] == UInt8(ascii: "0"))) else {
            throw .invalid(field: "divisions", rule: "divisions are 00 (not divided), or A-Z then a-z or 0")
        }
        return "=<" + description + donationType + divisions
    }

    /// Data structure 005, expiration date and time: `&>cyyjjjhhmm`: century digit (0 for 2000-2099), year, day of
    /// the year (001-366), hour and minute. Our lots expire at the end of their expiry day, 23:59.
    public static func expiration(_ day: CalendarDay, hour: Int = 23, minute: Int = 59) throws(DomainError) -> String {
        let civil = CivilCalendar.civil(fromDays: day.ordinal)
        guard (2000...2999).contains(civil.year) else { throw .invalid(field: "expiresOn", rule: "ISBT 128 dates run from 2000 to 2999") }
        guard (0...23).contains(hour), (0...59).contains(minute) else { throw .invalid(field: "expiresAt", rule: "hour 00-23 and minute 00-59") }
        let julian = day.ordinal - CivilCalendar.daysFromCivil(year: civil.year, month: 1, day: 1) + 1
        let c = (civil.year - 2000) / 100
        return "&>" + String(c) + twoDigits(civil.year % 100) + threeDigits(julian) + twoDigits(hour) + twoDigits(minute)
    }

    /// Data structure 023, compound message: `=+aabbb` where `aa` is how many data structures follow and `bbb`
    /// the ICCBBA-defined sequence they follow (`000`: none), then the data structures, each with its identifier.
    public static func compoundMessage(_ structures: [String]) throws(DomainError) -> String {
        guard (2...99).contains(structures.count) else {
            throw .invalid(field: "structures", rule: "a compound message carries 2 to 99 data structures")
        }
        guard structures.allSatisfy({ $0.utf8.count >= 3 && ($0.hasPrefix("=") || $0.hasPrefix("&")) }) else {
            throw .invalid(field: "structures", rule: "each data structure starts with its data identifier (= or &)")
        }
        return "=+" + twoDigits(structures.count) + "000" + structures.joined()
    }

    /// What an ISBT 128 vial label carries.
    public struct VialCodes: Sendable, Equatable, Codable {
        public let din: String
        public let dinEyeReadable: String
        public let productCode: String
        public let expiration: String
        public let compoundMessage: String
    }

    /// The codes of one vial of a product that opted in: DIN, product code, expiration, and the compound message of the three.
    public static func vialCodes(vialId: String, manufacturedOn: CalendarDay, expiresOn: CalendarDay, fin: String,
                                 productDescription: String, donationType: String) throws(DomainError) -> VialCodes {
        let din = try donationIdentificationNumber(vialId: vialId, manufacturedOn: manufacturedOn, fin: fin)
        let product = try productCode(description: productDescription, donationType: donationType)
        let expiry = try expiration(expiresOn)
        return VialCodes(din: din.dataStructure, dinEyeReadable: din.eyeReadable, productCode: product, expiration: expiry,
                         compoundMessage: try compoundMessage([din.dataStructure, product, expiry]))
    }
}

private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
private func threeDigits(_ n: Int) -> String { String(repeating: "0", count: max(0, 3 - String(n).count)) + String(n) }
private func sixDigits(_ n: Int) -> String { String(repeating: "0", count: max(0, 6 - String(n).count)) + String(n) }
