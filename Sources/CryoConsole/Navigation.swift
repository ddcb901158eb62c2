import CryoDomain

/// The menu. Every role may read all of these; what each may change is decided by the Store, and the pages
/// show write controls only to the roles that may use them.
enum Navigation {
    static func items(for role: Role) -> [[String: String]] {
        var items = [["href": "/console", "label": "Work list"], ["href": "/console/freezers", "label": "Freezers"],
                     ["href": "/console/lots", "label": "Lots"], ["href": "/console/release", "label": "Release"],
                     ["href": "/console/pharmacy", "label": "Pharmacy"], ["href": "/console/bedside", "label": "Bedside"],
                     ["href": "/console/studies", "label": "Cohorts"], ["href": "/console/audit", "label": "Audit"],
                     ["href": "/console/import", "label": "Import"]]
        if role.may(.manageUsers) { items.append(["href": "/console/users", "label": "Users"]) }
        return items
    }
}
