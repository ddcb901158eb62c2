import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// A site and the label printer it sends ZPL to.
public struct SiteLabelPrinter: Sendable, Equatable, Codable {
    public var siteCode: String
    public var siteName: String
    public var address: String?
}

extension Store {
    /// Sets (or, with nil, removes) a site's label printer; a custody event on the site.
    public func setSiteLabelPrinter(siteCode: String, address: String?, actor: Principal, logger: Logger) async throws -> SiteLabelPrinter {
        try actor.require(.manageStorage)
        let parsed = try address.map { text throws(DomainError) in try LabelPrinterAddress(parsing: text).description }
        return try await transaction(logger) { conn in
            let before = try await conn.guardedQuery("""
                SELECT code, name, label_printer FROM site WHERE code = \(siteCode) FOR UPDATE
                """, logger: logger).named { c in
                SiteLabelPrinter(siteCode: try c("code"), siteName: try c("name"), address: try c("label_printer"))
            }
            guard var site = before.first else { throw DomainError.notFound(kind: "site", id: siteCode) }
            let previous = site.address
            try await conn.guardedQuery("UPDATE site SET label_printer = \(parsed) WHERE code = \(siteCode)", logger: logger)
            site.address = parsed
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: siteCode, action: "site.label-printer-set",
                                                  fromState: previous, toState: parsed ?? "none"), by: actor, on: conn, logger: logger)
            return site
        }
    }

    /// Every site with its label printer (or none), by code.
    public func siteLabelPrinters(actor: Principal, logger: Logger) async throws -> [SiteLabelPrinter] {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            try await conn.guardedQuery("SELECT code, name, label_printer FROM site ORDER BY code", logger: logger).named { c in
                SiteLabelPrinter(siteCode: try c("code"), siteName: try c("name"), address: try c("label_printer"))
            }
        }
    }

    /// Opts a product in to ISBT 128 codes on its labels (both given) or out (both nil); a custody event on the product.
    public func setProductISBT128(productCode: String, description: String?, donationType: String?, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageProducts)
        try Validator().require((description == nil) == (donationType == nil), "isbt128DonationType",
                                "give the ISBT 128 product description code and the type of donation together, or neither")
        if let description, let donationType { _ = try ISBT128.productCode(description: description, donationType: donationType) }
        try await transaction(logger) { conn in
            let updated = try await conn.guardedQuery("""
                UPDATE product SET isbt128_product_description = \(description), isbt128_donation_type = \(donationType)
                WHERE code = \(productCode) RETURNING code
                """, logger: logger).decode(String.self).all()
            guard !updated.isEmpty else { throw DomainError.notFound(kind: "product", id: productCode) }
            try await Custody.append(CustodyEntry(subjectType: "product", subjectId: productCode, action: "product.isbt128-set",
                                                  toState: description.map { "\($0) \(donationType!)" } ?? "none"), by: actor, on: conn, logger: logger)
        }
    }
}

extension Store {
    /// A print job the printer accepted, as a custody event on the lot (label reconciliation: how many labels went to
    /// which printer, by whom).
    public func recordLabelsPrinted(lotNumber: String, labels: Int, printer: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.printLabels)
        try await transaction(logger) { conn in
            try await Custody.append(CustodyEntry(subjectType: "lot", subjectId: lotNumber, action: "lot.labels-printed",
                                                  details: ["labels": String(labels), "printer": printer]), by: actor, on: conn, logger: logger)
        }
    }
}
