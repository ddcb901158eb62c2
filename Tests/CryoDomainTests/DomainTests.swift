import CryoDomain
import Testing

@Suite("Check characters")
struct CheckCharacterTests {
    @Test("ISO 7064 MOD 37-2 vectors computed independently: the full string satisfies the checksum")
    func property() {
        // Pure system check: folding every character including the check gives 1 (mod 37).
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*")
        for serial in [1, 2, 42, 99_999, 1_234_567_890] {
            let id = VialID(serial: serial).value
            var p = 0
            for ch in id.dropLast() { p = ((p + alphabet.firstIndex(of: ch)!) * 2) % 37 }
            #expect((p + alphabet.firstIndex(of: id.last!)!) % 37 == 1, "\(id)")
        }
    }

    @Test("every single-character substitution and every adjacent transposition is detected")
    func detection() {
        let id = VialID(serial: 31_415_926).value
        let chars = Array(id)
        let digits = Array("0123456789")
        for i in 2..<(chars.count - 1) {
            for d in digits where d != chars[i] {
                var copy = chars
                copy[i] = d
                #expect(!Mod37_2.isValid(String(copy)))
            }
            if i + 1 < chars.count - 1 && chars[i] != chars[i + 1] {
                var copy = chars
                copy.swapAt(i, i + 1)
                #expect(!Mod37_2.isValid(String(copy)))
            }
        }
    }

    @Test("parsing names the field and the rule")
    func parsing() throws {
        let good = VialID(serial: 7).value
        #expect(try VialID(parsing: good.lowercased()).value == good)
        #expect(throws: DomainError.invalid(field: "vialId", rule: "must be CV followed by 10 digits and a check character, e.g. CV0000000001O")) {
            try VialID(parsing: "CV12")
        }
        #expect(throws: DomainError.self) { try VialID(parsing: String(good.dropLast()) + (good.last == "A" ? "B" : "A")) }
        #expect(VialID(serial: 1).value == "CV0000000001O")
    }
}

@Suite("HLA")
struct HLATests {
    @Test("valid alleles pass", arguments: ["A*02:01", "B*44:02", "C*07:02", "DRB1*15:01", "DQB1*06:02", "DPB1*04:01", "A*02:01:01", "A*24:02:01:02L", "B*15:01N"])
    func valid(_ allele: String) throws { try HLA.validateAllele(allele, field: "hla[0]") }

    @Test("invalid alleles are refused", arguments: ["A*0201", "A02:01", "E*01:01", "A*2:01", "a*02:01", "A*02", "A*02:01:01:01:01", "DRB1 *15:01"])
    func invalid(_ allele: String) {
        #expect(throws: DomainError.self) { try HLA.validateAllele(allele, field: "hla[0]") }
    }

    @Test("at most two alleles per locus, with the index of the third named")
    func perLocus() {
        #expect(throws: DomainError.invalid(field: "hla[2]", rule: "at most two alleles per locus (A has more)")) {
            try HLA.validateTyping(["A*01:01", "A*02:01", "A*03:01"])
        }
    }

    @Test("antibody specificities at antigen and allele level")
    func specificities() throws {
        try HLA.validateSpecificity("A*02", field: "antiHla[0]")
        try HLA.validateSpecificity("B*44:02", field: "antiHla[0]")
        #expect(throws: DomainError.self) { try HLA.validateSpecificity("A2", field: "antiHla[0]") }
    }
}

@Suite("Status machines")
struct StatusMachineDomainTests {
    @Test("lot: the path of PRODUCT.md, and final states are final")
    func lot() {
        #expect(LotStatus.inProcess.canMove(to: .quarantine))
        #expect(LotStatus.quarantine.canMove(to: .released))
        #expect(LotStatus.quarantine.canMove(to: .rejected))
        #expect(!LotStatus.inProcess.canMove(to: .released))
        #expect(!LotStatus.released.canMove(to: .quarantine))
        for final in [LotStatus.rejected, .expired, .recalled] { #expect(final.successors.isEmpty) }
    }

    @Test("vial: forward chain; a thawed vial never goes back to storage")
    func vial() {
        let chain: [VialStatus] = [.stored, .reserved, .shipped, .received, .thawed, .administered]
        for (a, b) in zip(chain, chain.dropFirst()) { #expect(a.canMove(to: b)) }
        #expect(!VialStatus.thawed.canMove(to: .stored))
        #expect(!VialStatus.thawed.canMove(to: .received))
        #expect(VialStatus.administered.successors.isEmpty && VialStatus.destroyed.successors.isEmpty)
    }

    @Test("who may change a lot, and which changes are signatures")
    func rolesAndSignatures() {
        #expect(LotStatus.action(from: .inProcess, to: .quarantine) == .advanceLotManufacturing)
        #expect(LotStatus.action(from: .quarantine, to: .onHold) == .holdLot)
        #expect(LotStatus.action(from: .quarantine, to: .rejected) == .dispositionLot)
        #expect(Role.manufacturing.may(.registerLot) && !Role.pharmacy.may(.registerLot) && !Role.auditor.may(.registerLot))
        #expect(Role.auditor.may(.readCustody) && Role.auditor.may(.readInventory))
        #expect(LotStatus.isSigningStep(from: .onHold, to: .quarantine))
        #expect(!LotStatus.isSigningStep(from: .quarantine, to: .onHold))
        #expect(LotStatus.isSigningStep(from: .quarantine, to: .rejected))
    }
}

@Suite("Validation")
struct ValidationTests {
    @Test("calendar days: real dates only, arithmetic across leap years")
    func days() throws {
        #expect(CalendarDay("2026-02-29") == nil)
        #expect(CalendarDay("2028-02-29") != nil)
        #expect(CalendarDay("2026-13-01") == nil)
        let d = try #require(CalendarDay("2027-12-31"))
        #expect(d.adding(days: 1).description == "2028-01-01")
        #expect(CalendarDay("2028-03-01")! - CalendarDay("2028-02-01")! == 29)
        #expect(CalendarDay(ordinal: 0).description == "1970-01-01")
    }

    @Test("calendar days, donor codes and storage ids are parsed byte by byte: exactly the formats the regexes allowed")
    func formats() {
        for bad in ["2026-1-01", "2026-01-1", "20260101", "2026-01-01 ", " 2026-01-01", "2026/01/01", "2026-01-00", "2026-00-10",
                    "２０２６-01-01", "2026-01-0１", "2026-01-01\u{301}", "", "2026-01-011"] {
            #expect(CalendarDay(bad) == nil, "\(bad)")
        }
        for good in ["2026-01-01", "2024-02-29", "0001-12-31", "9999-12-31", "1969-07-20"] {
            #expect(CalendarDay(good)?.description == good)
        }
        #expect(DonorCode.isValid("DN-000101") && !DonorCode.isValid("DN-00010") && !DonorCode.isValid("DN-0001011")
                && !DonorCode.isValid("dn-000101") && !DonorCode.isValid("DN-00010a") && !DonorCode.isValid("DN-00010١"))
        #expect(StorageID.isValid("SSF-LN2-01") && StorageID.isValid("B1") && !StorageID.isValid("-B1") && !StorageID.isValid("B")
                && !StorageID.isValid(String(repeating: "A", count: 49)) && StorageID.isValid(String(repeating: "A", count: 48))
                && !StorageID.isValid("box-1") && !StorageID.isValid("B 1"))
    }

    @Test("donor registration: coded id, eligibility backed by tests")
    func donor() {
        let test = ScreeningTest(test: "HIV", result: "reactive", testedOn: CalendarDay("2026-01-01")!)
        #expect(throws: DomainError.invalid(field: "code", rule: "must be a coded donor id DN-NNNNNN (six digits); never a name or record number")) {
            try DonorRegistration(code: "MRN 123", eligibility: .pending, screeningTests: [], hla: []).validate()
        }
        #expect(throws: DomainError.invalid(field: "screeningTests", rule: "an eligible donor needs the screening tests behind the determination")) {
            try DonorRegistration(code: "DN-000001", eligibility: .eligible, screeningTests: [], hla: []).validate()
        }
        #expect(throws: DomainError.invalid(field: "screeningTests[0].result", rule: "a donor with a reactive test cannot be eligible")) {
            try DonorRegistration(code: "DN-000001", eligibility: .eligible, screeningTests: [test], hla: []).validate()
        }
    }

    @Test("lot registration: positive cells, sane dates")
    func lot() {
        let base = LotRegistration(lotNumber: "A501-1", productCode: "ALLO-501", donorCode: "DN-000001", manufacturedOn: CalendarDay("2026-01-01")!,
                                   expiresOn: nil, cellsPerVial: 1, plannedVials: 1)
        var bad = base; bad.cellsPerVial = 0
        #expect(throws: DomainError.self) { try bad.validate() }
        bad = base; bad.expiresOn = CalendarDay("2025-12-31")
        #expect(throws: DomainError.invalid(field: "expiresOn", rule: "must be after manufacturedOn")) { try bad.validate() }
        bad = base; bad.lotNumber = "x"
        #expect(throws: DomainError.self) { try bad.validate() }
        #expect(throws: Never.self) { try base.validate() }
    }
}
