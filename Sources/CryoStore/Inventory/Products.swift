import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Defines a product with its first specification version, effective from `effectiveFrom`.
    public func createProduct(_ p: ProductRecord, effectiveFrom: CalendarDay, actor: Principal, logger: Logger) async throws -> ProductRecord {
        try actor.require(.manageProducts)
        let v = Validator()
        try v.matches(p.code, /[A-Z][A-Z0-9]*(-[A-Z0-9]+)*/, "code", "must be upper-case letters and digits separated by '-', e.g. ALLO-501")
        try v.require(!p.name.isEmpty, "name", "must not be empty")
        try v.require((1...36_500).contains(p.shelfLifeDays), "shelfLifeDays", "must be between 1 and 36500 days")
        try v.require(p.storageMaxCelsius >= -273.1, "storageMaxCelsius", "must be -273.1 °C or warmer")
        try v.require(p.storageMaxCelsius <= -60, "storageMaxCelsius", "must be -60 °C or colder for a cryopreserved product")
        try v.require((1...1_440).contains(p.thawToInfusionMinutes), "thawToInfusionMinutes", "must be between 1 and 1440 minutes")
        try v.require((1...1_440).contains(p.maxTimeOutMinutes), "maxTimeOutMinutes", "must be between 1 and 1440 minutes")
        var codes = Set<String>()
        for (i, t) in p.specification.enumerated() {
            try v.matches(t.code, /[a-z][a-z0-9-]*/, "specification[\(i)].code", "must be lower-case letters, digits and '-'")
            try v.require(codes.insert(t.code).inserted, "specification[\(i)].code", "each test appears once")
            switch t.kind {
            case "numeric":
                try v.require(t.min != nil || t.max != nil, "specification[\(i)]", "a numeric test needs min, max or both")
                try v.require(t.expected == nil, "specification[\(i)].expected", "only qualitative tests have an expected result")
                if let lo = t.min, let hi = t.max { try v.require(lo <= hi, "specification[\(i)].max", "must not be below min") }
            case "qualitative":
                try v.require(t.expected?.isEmpty == false, "specification[\(i)].expected", "a qualitative test needs its expected result")
                try v.require(t.min == nil && t.max == nil, "specification[\(i)]", "a qualitative test has no numeric limits")
            default:
                throw DomainError.invalid(field: "specification[\(i)].kind", rule: "must be numeric or qualitative")
            }
        }
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO product (code, name, shelf_life_days, storage_condition, storage_max_celsius, thaw_to_infusion_minutes, max_time_out_minutes)
                VALUES (\(p.code), \(p.name), \(p.shelfLifeDays), \(p.storageCondition), \(p.storageMaxCelsius)::numeric, \(p.thawToInfusionMinutes),
                        \(p.maxTimeOutMinutes))
                """, logger: logger)
            try await conn.guardedQuery("INSERT INTO spec_version (product_code, version, effective_from) VALUES (\(p.code), 1, \(effectiveFrom.description)::date)", logger: logger)
            for t in p.specification {
                try await conn.guardedQuery("""
                    INSERT INTO spec_test (product_code, version, code, name, kind, unit, min_value, max_value, expected)
                    VALUES (\(p.code), 1, \(t.code), \(t.name), \(t.kind), \(t.unit), \(t.min)::numeric, \(t.max)::numeric, \(t.expected))
                    """, logger: logger)
            }
            try await Custody.append(CustodyEntry(subjectType: "product", subjectId: p.code, action: "product.created", toState: "spec v1",
                                                  details: ["specTests": String(p.specification.count)]), by: actor, on: conn, logger: logger)
        }
        return try await product(code: p.code, actor: actor, logger: logger)
    }

    public func product(code: String, actor: Principal, logger: Logger) async throws -> ProductRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let r = try await conn.guardedQuery("""
                SELECT code, name, shelf_life_days, storage_condition, storage_max_celsius::float8 AS storage_max_celsius, thaw_to_infusion_minutes,
                       (SELECT max(version) FROM spec_version s WHERE s.product_code = p.code) AS spec_version, max_time_out_minutes
                FROM product p WHERE code = \(code)
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "product", id: code)
            }
            var tests: [SpecTest] = []
            let specVersion: Int? = try r("spec_version")
            if let version = specVersion {
                tests = try await conn.guardedQuery("""
                    SELECT code, name, kind, unit, min_value::float8 AS min_value, max_value::float8 AS max_value, expected FROM spec_test
                    WHERE product_code = \(code) AND version = \(version) ORDER BY code
                    """, logger: logger).named { t in
                    SpecTest(code: try t("code"), name: try t("name"), kind: try t("kind"), unit: try t("unit"), min: try t("min_value"),
                             max: try t("max_value"), expected: try t("expected"))
                }
            }
            return ProductRecord(code: try r("code"), name: try r("name"), shelfLifeDays: try r("shelf_life_days"), storageCondition: try r("storage_condition"),
                                 storageMaxCelsius: try r("storage_max_celsius"), thawToInfusionMinutes: try r("thaw_to_infusion_minutes"),
                                 specVersion: specVersion, specification: tests, maxTimeOutMinutes: try r("max_time_out_minutes"))
        }
    }

    public func products(actor: Principal, logger: Logger) async throws -> [ProductRecord] {
        try actor.require(.readInventory)
        let codes = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT code FROM product ORDER BY code", logger: logger).decode(String.self).all()
        }
        var out: [ProductRecord] = []
        for code in codes { out.append(try await product(code: code, actor: actor, logger: logger)) }
        return out
    }
}
