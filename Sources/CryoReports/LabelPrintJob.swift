import CryoDomain
import CryoStore
import Foundation
import Logging

/// Printing a lot's labels on a site's label printer: the one path the API, the console and the CLI share.
public enum LabelPrintJob {
    public struct Result: Sendable, Equatable {
        public let labels: Int
        public let siteCode: String?
        public let address: String
        public let zpl: String

        /// "24 labels sent to SSF's printer at 10.0.0.5:9100."
        public var sentence: String {
            let what = "\(labels) label\(labels == 1 ? "" : "s") sent to "
            return what + (siteCode.map { "\($0)'s printer at \(address)." } ?? "the printer at \(address).")
        }
    }

    /// Renders the lot's labels as ZPL and sends them to `siteCode`'s printer, or to `printer` (host:port) when given.
    /// Refusals say why: no such site, no printer set for it, the printer not answering.
    public static func printLot(_ lotNumber: String, siteCode: String?, printer: String? = nil, store: Store, actor: Principal, logger: Logger,
                                isbt128Facility: String? = Store.isbt128FacilityFromEnvironment, timeout: Duration = .seconds(5)) async throws -> Result {
        try actor.require(.printLabels)
        let address: LabelPrinterAddress
        if let printer {
            address = try LabelPrinterAddress(parsing: printer, field: "printer")
        } else {
            guard let siteCode, !siteCode.isEmpty else {
                throw DomainError.invalid(field: "site", rule: "name the site whose label printer prints the labels")
            }
            guard let site = try await store.siteLabelPrinters(actor: actor, logger: logger).first(where: { $0.siteCode == siteCode }) else {
                throw DomainError.notFound(kind: "site", id: siteCode)
            }
            guard let configured = site.address else {
                throw DomainError.conflict(field: "site", rule: "site \(siteCode) has no label printer; set one with `cryoledger storage site-printer --site \(siteCode) --address HOST:9100`")
            }
            address = try LabelPrinterAddress(parsing: configured)
        }
        let labels = try await store.vialLabels(lotNumber: lotNumber, vialIds: [], actor: actor, logger: logger, isbt128Facility: isbt128Facility)
        guard !labels.isEmpty else { throw DomainError.conflict(field: "lot", rule: "lot \(lotNumber) has no vials to label yet") }
        let zpl = ZPLLabels.render(labels)
        do {
            try await LabelPrinter.send(zpl, to: address, timeout: timeout)
        } catch let failure as LabelPrinter.Failure {
            let whose = printer == nil ? "\(siteCode!)'s printer" : "the printer"
            throw DomainError.conflict(field: "printer", rule: "the \(labels.count) labels of lot \(lotNumber) were not sent to \(whose): \(failure.description)")
        }
        try await store.recordLabelsPrinted(lotNumber: lotNumber, labels: labels.count, printer: address.description, actor: actor, logger: logger)
        return Result(labels: labels.count, siteCode: printer == nil ? siteCode : nil, address: address.description, zpl: zpl)
    }
}
