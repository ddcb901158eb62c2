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
        let tooLarge = Operations.ImportBatch.Output.contentTooLarge(.init(body: .applicationProblemJson(.init(
            _type: "https://cryoledger.example/problems/content-too-large", title: "Content Too Large", status: 413,
            detail: "the CSV file is larger than 32 MiB; split the file", field: "body", rule: "at most 32 MiB"))))
        let collected: Data?
        switch input.body {
        case .csv(let body):
            collected = try await Self.collect(body)
        case .multipartForm(let form):
            // The parts come in order and each must be read before the next: the file is collected as it passes.
            var file: Data?
            do {
                for try await part in form {
                    switch part {
                    case .file(let wrapper):
                        guard file == nil else { throw DomainError.invalid(field: "file", rule: "give one file part") }
                        guard let bytes = try await Self.collect(wrapper.payload.body) else { return tooLarge }
                        file = bytes
                    }
                }
            } catch let error as DomainError {
                throw error
            } catch {
                // The runtime refuses a part other than 'file' (the form is closed), a missing 'file' part, or a malformed body.
                throw DomainError.invalid(field: "body", rule: "must be multipart/form-data with exactly one part, named 'file', holding the CSV file (\(error))")
            }
            guard let file else { throw DomainError.invalid(field: "file", rule: "is required: the CSV file as the form part named 'file'") }
            collected = file
        }
        guard let data = collected else { return tooLarge }
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
            rejects: summary.rejects.map { .init(row: $0.row, line: $0.line, column: $0.column, field: $0.field, rule: $0.rule, value: $0.value) }))))
    }

    /// The body chunk by chunk, stopping as soon as the limit is passed (nil: too large).
    static func collect(_ body: HTTPBody) async throws -> Data? {
        if case .known(let length) = body.length, length > importBodyLimit { return nil }
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.count <= importBodyLimit else { return nil }
            data.append(contentsOf: chunk)
        }
        return data
    }
}
