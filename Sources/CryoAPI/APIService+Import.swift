import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import OpenAPIRuntime

extension APIService {
    /// Bodies are collected up to this size, then checked as a whole before anything is written.
    static let importBodyLimit = 32 * 1024 * 1024

    func importBatch(_ input: Operations.ImportBatch.Input) async throws -> Operations.ImportBatch.Output {
        let actor = try caller()
        let kind = ImportKind(rawValue: input.query.kind.rawValue)!
        // Refuse a role that may not import before reading the body.
        try actor.require(kind.action)
        guard case .csv(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be text/csv") }
        let tooLarge = Operations.ImportBatch.Output.contentTooLarge(.init(body: .applicationProblemJson(.init(
            _type: "https://cryoledger.example/problems/content-too-large", title: "Content Too Large", status: 413,
            detail: "the CSV body is larger than 32 MiB; split the file", field: "body", rule: "at most 32 MiB"))))
        if case .known(let length) = body.length, length > Self.importBodyLimit { return tooLarge }
        // Collected chunk by chunk, stopping as soon as the limit is passed.
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.count <= Self.importBodyLimit else { return tooLarge }
            data.append(contentsOf: chunk)
        }
        let document: CSVDocument
        switch CSVDocument.checking(data, kind: kind) {
        case .success(let checked): document = checked
        case .failure(let error): throw DomainError.invalid(field: "body", rule: error.description)
        }
        let summary = try await store.importCSV(document, kind: kind, options: ImportOptions(dryRun: input.query.dryRun ?? false),
                                                actor: actor, logger: logger)
        return .ok(.init(body: .json(.init(
            kind: .init(rawValue: summary.kind)!, dryRun: summary.dryRun, rows: summary.rows, inserted: summary.inserted,
            unchanged: summary.unchanged, rejected: summary.rejected, batches: summary.batches, custodyEvents: summary.custodyEvents,
            seconds: summary.seconds,
            rejects: summary.rejects.map { .init(row: $0.row, line: $0.line, field: $0.field, rule: $0.rule, value: $0.value) }))))
    }
}
