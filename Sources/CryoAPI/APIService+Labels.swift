import CryoAPIGenerated
import CryoDomain
import CryoReports
import CryoStore
import Foundation
import OpenAPIRuntime

extension APIService {
    /// A lot's vial labels, as an A4 PDF sheet or as ZPL II for a thermal label printer.
    func getLotLabels(_ input: Operations.GetLotLabels.Input) async throws -> Operations.GetLotLabels.Output {
        let labels = try await store.vialLabels(lotNumber: input.path.lotNumber, vialIds: [], actor: caller(), logger: logger)
        guard !labels.isEmpty else { throw DomainError.conflict(field: "lotNumber", rule: "lot \(input.path.lotNumber) has no vials to label yet") }
        switch input.query.format {
        case .zpl:
            return .ok(.init(body: .plainText(HTTPBody(ZPLLabels.render(labels)))))
        case .pdf:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-labels-\(UUID().uuidString).pdf").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try VialLabels.writeSheet(labels, to: path)
            return .ok(.init(body: .pdf(HTTPBody(try Data(contentsOf: URL(fileURLWithPath: path))))))
        }
    }

    /// Sends a lot's labels to a site's label printer.
    func printLotLabels(_ input: Operations.PrintLotLabels.Input) async throws -> Operations.PrintLotLabels.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let result = try await LabelPrintJob.printLot(input.path.lotNumber, siteCode: body.siteCode, store: store, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(labels: result.labels, siteCode: body.siteCode, printer: result.address, message: result.sentence))))
    }
}
