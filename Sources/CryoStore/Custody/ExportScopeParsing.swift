import CryoDomain

extension ExportScope {
    /// The scope of a custody report from what a caller names (API query, CLI options, console form):
    /// exactly one of vial, lot, donor, patient, or a period from–to.
    public static func parse(vial: String?, lot: String?, donor: String?, patient: String?, from: String?, to: String?) throws -> ExportScope {
        let given = [vial, lot, donor, patient].compactMap { $0 }.count + ((from != nil || to != nil) ? 1 : 0)
        guard given == 1 else { throw DomainError.invalid(field: "scope", rule: "give exactly one of vial, lot, donor, patient, or from with to") }
        if let patient { return .patient(patient) }
        if let vial { return .vial(try VialID(parsing: vial, field: "vial").value) }
        if let lot { return .lot(lot) }
        if let donor { return .donor(donor) }
        guard let from, let to else { throw DomainError.invalid(field: from == nil ? "from" : "to", rule: "from and to go together") }
        return .period(from: try CalendarDay(parsing: from, field: "from"), to: try CalendarDay(parsing: to, field: "to"))
    }
}
