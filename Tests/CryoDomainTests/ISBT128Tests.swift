import CryoDomain
import Testing

@Suite("ISBT 128 data structures and label printer addresses")
struct ISBT128Tests {
    @Test("the published DIN check example: G123 49 865432 1 checks to H, value 17, bar code flags 77 (UK Red Book, annex 2)")
    func publishedCheckCharacter() throws {
        // Table A2.2 of the JPAC Red Book's annex 2 (transfusionguidelines.org): donation number G123 498 654 321.
        #expect(Mod37_2.checkValue(for: "G123498654321") == 17)
        #expect(Mod37_2.checkCharacter(for: "G123498654321") == "H")
        let din = try ISBT128.donationIdentificationNumber(fin: "G1234", year: 98, sequence: 654_321)
        #expect(din.body == "G123498654321")
        #expect(din.checkCharacter == "H" && din.flags == "77")
        #expect(din.dataStructure == "=G12349865432177")
        #expect(din.eyeReadable == "G1234 98 654321 H")
    }

    @Test("data structure 001: = then FIN, year, six-digit sequence and the flags; the mapping from a vial id and its lot's year")
    func dinFromVial() throws {
        let vial = VialID(serial: 1234).value
        let din = try ISBT128.donationIdentificationNumber(vialId: vial, manufacturedOn: CalendarDay("2026-01-10")!, fin: "W1234")
        #expect(din.body == "W123426001234")
        #expect(din.dataStructure.utf8.count == 16 && din.dataStructure.hasPrefix("=W123426001234"))
        #expect(din.flags == String(60 + Mod37_2.checkValue(for: "W123426001234")!))
        #expect(Mod37_2.isValid(din.body + String(din.checkCharacter)))
        #expect(throws: DomainError.self) {
            try ISBT128.donationIdentificationNumber(vialId: VialID(serial: 1_000_000).value, manufacturedOn: CalendarDay("2026-01-10")!, fin: "W1234")
        }
    }

    @Test("facility identification numbers: a letter other than O (or a digit 1-9) and four digits")
    func facility() throws {
        for good in ["W1234", "A0001", "Z9999", "11234"] { #expect(try ISBT128.facilityIdentificationNumber(good) == good) }
        for bad in ["O1234", "01234", "W123", "W12345", "w1234", "WA234", ""] {
            #expect(throws: DomainError.self, "\(bad)") { try ISBT128.facilityIdentificationNumber(bad) }
        }
    }

    @Test("data structure 003, product code: =< description code, type of donation, divisions")
    func productCode() throws {
        #expect(try ISBT128.productCode(description: "S1194", donationType: "V") == "=<S1194V00")
        #expect(try ISBT128.productCode(description: "S1194", donationType: "0", divisions: "Ab") == "=<S11940Ab")
        #expect(throws: DomainError.self) { try ISBT128.productCode(description: "s1194", donationType: "V") }
        #expect(throws: DomainError.self) { try ISBT128.productCode(description: "S119", donationType: "V") }
        #expect(throws: DomainError.self) { try ISBT128.productCode(description: "S1194", donationType: "VV") }
    }

    @Test("data structure 005, expiration date and time: &> century digit, year, day of the year, hour, minute")
    func expiration() throws {
        #expect(try ISBT128.expiration(CalendarDay("2027-01-10")!) == "&>0270102359")
        #expect(try ISBT128.expiration(CalendarDay("2028-12-31")!, hour: 8, minute: 5) == "&>0283660805")   // leap year: day 366
        #expect(try ISBT128.expiration(CalendarDay("2026-03-01")!) == "&>0260602359")
        #expect(throws: DomainError.self) { try ISBT128.expiration(CalendarDay("1999-12-31")!) }
    }

    @Test("data structure 023, compound message: =+ count, 000, then the structures with their identifiers")
    func compound() throws {
        let codes = try ISBT128.vialCodes(vialId: VialID(serial: 7).value, manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: CalendarDay("2027-01-10")!,
                                          fin: "W1234", productDescription: "S1194", donationType: "V")
        let din = try ISBT128.donationIdentificationNumber(fin: "W1234", year: 26, sequence: 7)
        #expect(codes.din == din.dataStructure)
        #expect(codes.compoundMessage == "=+03000" + din.dataStructure + "=<S1194V00" + "&>0270102359")
        #expect(codes.dinEyeReadable == "W1234 26 000007 \(din.checkCharacter)")
        #expect(throws: DomainError.self) { try ISBT128.compoundMessage(["=<S1194V00"]) }
        #expect(throws: DomainError.self) { try ISBT128.compoundMessage(["S1194", "=<S1194V00"]) }
    }

    @Test("label printer addresses: host[:port], 9100 by default, ports 1-65535")
    func printerAddress() throws {
        #expect(try LabelPrinterAddress(parsing: "10.0.0.5").description == "10.0.0.5:9100")
        #expect(try LabelPrinterAddress(parsing: " zebra-ssf.lab.example:6101 ").description == "zebra-ssf.lab.example:6101")
        for bad in ["", ":9100", "10.0.0.5:0", "10.0.0.5:65536", "10.0.0.5:91a0", "host name:9100", "a:b:c", "-bad:9100", "10.0.0.5:"] {
            #expect(throws: DomainError.self, "\(bad)") { try LabelPrinterAddress(parsing: bad) }
        }
    }
}
