/// HLA typing of a donor, two copies per locus.
public enum HLALocus: String, CaseIterable, Sendable {
    case a = "A", b = "B", c = "C", drb1 = "DRB1", dqb1 = "DQB1", dpb1 = "DPB1"
}

public enum HLA {
    /// An allele at two-field resolution or better, e.g. `A*02:01`, `DRB1*15:01:01`, with an optional expression suffix.
    public static func validateAllele(_ allele: String, field: String) throws(DomainError) {
        guard let m = allele.wholeMatch(of: /(A|B|C|DRB1|DQB1|DPB1)\*[0-9]{2,3}(:[0-9]{2,3}){1,3}[NLSCAQ]?/) else {
            throw .invalid(field: field, rule: "must be an HLA allele such as A*02:01 (locus A, B, C, DRB1, DQB1 or DPB1, then '*', then at least two fields of digits separated by ':')")
        }
        _ = m
    }

    /// An antibody specificity, antigen level (`A*02`) or allele level (`A*02:01`).
    public static func validateSpecificity(_ value: String, field: String) throws(DomainError) {
        guard value.wholeMatch(of: /(A|B|C|DRB1|DQB1|DPB1)\*[0-9]{2,3}(:[0-9]{2,3}){0,3}/) != nil else {
            throw .invalid(field: field, rule: "an HLA antigen or allele such as A*02 or B*44:02")
        }
    }

    public static func locus(of allele: String) -> HLALocus? {
        allele.split(separator: "*", maxSplits: 1).first.flatMap { HLALocus(rawValue: String($0)) }
    }

    /// Validates a typing: each allele well-formed, at most two per locus.
    public static func validateTyping(_ alleles: [String], field: String = "hla") throws(DomainError) {
        var perLocus: [HLALocus: Int] = [:]
        for (i, allele) in alleles.enumerated() {
            try validateAllele(allele, field: "\(field)[\(i)]")
            let locus = locus(of: allele)!
            perLocus[locus, default: 0] += 1
            if perLocus[locus]! > 2 {
                throw .invalid(field: "\(field)[\(i)]", rule: "at most two alleles per locus (\(locus.rawValue) has more)")
            }
        }
    }
}
