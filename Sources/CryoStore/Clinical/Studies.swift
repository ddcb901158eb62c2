import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Clinical defines a study: its indications, arms, dose levels, sites and eligibility checklist. A cohort is
    /// made for every indication, arm and dose level; those at the lowest starting dose (ordinal 1 or more) open with 3 places.
    public func createStudy(_ s: StudyDefinition, actor: Principal, logger: Logger) async throws -> StudyRecord {
        try actor.require(.manageStudies)
        try s.validate()
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM product WHERE code = \(s.productCode)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.invalid(field: "productCode", rule: "no product '\(s.productCode)' is defined")
            }
            let clinical = Set(try await conn.guardedQuery("SELECT code FROM site WHERE code = ANY(\(s.sites)) AND kind = 'clinical'", logger: logger)
                .decode(String.self).all())
            if let missing = s.sites.firstIndex(where: { !clinical.contains($0) }) {
                throw DomainError.invalid(field: "sites[\(missing)]", rule: "'\(s.sites[missing])' is not a registered clinical site")
            }
            do {
                try await conn.guardedQuery("""
                    INSERT INTO study (code, name, product_code, dlt_window_days, slot_lead_days, created_by)
                    VALUES (\(s.code), \(s.name), \(s.productCode), \(s.dltWindowDays), \(s.slotLeadDays), \(actor.id))
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw DomainError.conflict(field: "code", rule: "a study \(s.code) already exists")
            }
            try await conn.guardedQuery("""
                INSERT INTO study_indication (study_code, code, name) SELECT \(s.code), c, n FROM unnest(\(s.indications.map(\.code))::text[], \(s.indications.map(\.name))::text[]) AS u(c, n)
                """, logger: logger)
            try await conn.guardedQuery("""
                INSERT INTO study_arm (study_code, code, lymphodepletion, name)
                SELECT \(s.code), c, l, n FROM unnest(\(s.arms.map(\.code))::text[], \(s.arms.map(\.lymphodepletion.rawValue))::text[], \(s.arms.map(\.name))::text[]) AS u(c, l, n)
                """, logger: logger)
            try await conn.guardedQuery("""
                INSERT INTO dose_level (study_code, code, ordinal, target_cells, basis)
                SELECT \(s.code), c, o, t, b FROM unnest(\(s.doseLevels.map(\.code))::text[], \(s.doseLevels.map(\.ordinal))::int[],
                                                         \(s.doseLevels.map(\.targetCells))::bigint[], \(s.doseLevels.map(\.basis.rawValue))::text[]) AS u(c, o, t, b)
                """, logger: logger)
            try await conn.guardedQuery("INSERT INTO study_site (study_code, site_code) SELECT \(s.code), unnest(\(s.sites)::text[])", logger: logger)
            try await conn.guardedQuery("""
                INSERT INTO eligibility_criterion (study_code, code, kind, text, indication)
                SELECT \(s.code), c, k, t, NULLIF(i, '') FROM unnest(\(s.criteria.map(\.code))::text[], \(s.criteria.map(\.kind))::text[],
                                                                  \(s.criteria.map(\.text))::text[], \(s.criteria.map { $0.indication ?? "" })::text[]) AS u(c, k, t, i)
                """, logger: logger)
            let start = s.doseLevels.filter { $0.ordinal >= 1 }.map(\.ordinal).min()!
            try await conn.guardedQuery("""
                INSERT INTO cohort (id, study_code, indication_code, arm_code, dose_code, state, capacity)
                SELECT \(s.code) || '/' || i.code || '/' || d.code || '/' || a.code, \(s.code), i.code, a.code, d.code,
                       CASE WHEN d.ordinal = \(start) THEN 'open' ELSE 'planned' END, CASE WHEN d.ordinal = \(start) THEN 3 ELSE 0 END
                FROM study_indication i CROSS JOIN study_arm a CROSS JOIN dose_level d
                WHERE i.study_code = \(s.code) AND a.study_code = \(s.code) AND d.study_code = \(s.code)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "study", subjectId: s.code, action: "study.created", toState: "active",
                                                  details: ["product": s.productCode, "indications": s.indications.map(\.code).joined(separator: ","),
                                                            "arms": s.arms.map(\.code).joined(separator: ","),
                                                            "doseLevels": s.doseLevels.map(\.code).joined(separator: ","),
                                                            "sites": s.sites.joined(separator: ","), "criteria": String(s.criteria.count)]),
                                     by: actor, on: conn, logger: logger)
        }
        return try await study(code: s.code, actor: actor, logger: logger)
    }

    public func study(code: String, actor: Principal, logger: Logger) async throws -> StudyRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let s = try await conn.guardedQuery("""
                SELECT name, product_code, dlt_window_days, slot_lead_days FROM study WHERE code = \(code)
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "study", id: code)
            }
            let sites = try await conn.guardedQuery("SELECT site_code FROM study_site WHERE study_code = \(code) ORDER BY site_code", logger: logger)
                .decode(String.self).all()
            let criteria = try await conn.guardedQuery("""
                SELECT code, kind, text, indication FROM eligibility_criterion WHERE study_code = \(code) ORDER BY kind DESC, code
                """, logger: logger).named { c in
                StudyDefinition.Criterion(code: try c("code"), kind: try c("kind"), text: try c("text"), indication: try c("indication"))
            }
            let cohorts = try await Self.cohorts(where: "c.study_code = $1", bind: code, on: conn, logger: logger)
            return StudyRecord(code: code, name: try s("name"), productCode: try s("product_code"), dltWindowDays: try s("dlt_window_days"),
                               slotLeadDays: try s("slot_lead_days"), sites: sites, criteria: criteria, cohorts: cohorts)
        }
    }

    static func cohorts(where condition: String, bind: String, on conn: PostgresConnection, logger: Logger) async throws -> [CohortRecord] {
        var binds = PostgresBindings()
        binds.append(bind)
        let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: """
            SELECT c.id, c.indication_code, c.arm_code, a.lymphodepletion, c.dose_code, d.target_cells, d.basis, c.state, c.capacity::int AS capacity,
                   c.outcome, (SELECT count(*)::int FROM patient p WHERE p.cohort_id = c.id AND p.status <> 'withdrawn') AS enrolled
            FROM cohort c JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code
            JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code
            WHERE \(condition) ORDER BY c.indication_code, c.arm_code, d.ordinal
            """, binds: binds), logger: logger)
        return try await rows.named { c in
            CohortRecord(id: try c("id"), indication: try c("indication_code"), arm: try c("arm_code"), lymphodepletion: try c("lymphodepletion"),
                         doseLevel: try c("dose_code"), targetCells: try c("target_cells"), basis: try c("basis"), state: try c("state"),
                         capacity: try c("capacity"), outcome: try c("outcome"), enrolled: try c("enrolled"))
        }
    }

    /// A depot ships to a clinical site in `days` (dry shipper transit).
    public func createRoute(from: String, to: String, days: Int, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageStudies)
        try Validator().require((0...30).contains(days), "transitDays", "between 0 and 30 days")
        try Validator().require(from != to, "to", "a route joins two different sites")
        try await transaction(logger) { conn in
            let kinds = Dictionary(uniqueKeysWithValues: try await conn.guardedQuery("SELECT code, kind FROM site WHERE code IN (\(from), \(to))", logger: logger)
                .decode((String, String).self).all())
            guard let fk = kinds[from] else { throw DomainError.invalid(field: "from", rule: "no site '\(from)'") }
            guard kinds[to] == "clinical" else { throw DomainError.invalid(field: "to", rule: "'\(to)' is not a registered clinical site") }
            try Validator().require(fk != "clinical", "from", "a route starts at a depot or manufacturing site")
            try await conn.guardedQuery("""
                INSERT INTO route (from_site, to_site, transit_days) VALUES (\(from), \(to), \(days))
                ON CONFLICT (from_site, to_site) DO UPDATE SET transit_days = EXCLUDED.transit_days
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: from, action: "route.set", toLocation: to,
                                                  details: ["transitDays": String(days)]), by: actor, on: conn, logger: logger)
        }
    }
}
