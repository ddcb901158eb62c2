import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func saveUpload(kind: ImportKind, fileName: String, content: Data, actor: Principal, logger: Logger) async throws -> UUID {
        try actor.require(kind.action)
        let id = UUID()
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO console_upload (id, user_id, kind, file_name, content)
                VALUES (\(id), \(actor.id), \(kind.rawValue), \(String(fileName.prefix(200))), \(content))
                """, logger: logger)
        }
        return id
    }

    public func upload(_ id: UUID, actor: Principal, logger: Logger) async throws -> ConsoleUpload {
        try await read(logger) { conn in
            guard let c = try await conn.guardedQuery("""
                SELECT kind, file_name, content, rejects_csv, imported_at IS NOT NULL AS imported
                FROM console_upload WHERE id = \(id) AND user_id = \(actor.id)
                """, logger: logger).named({ $0 }).first, let kind = ImportKind(rawValue: try c("kind")) else {
                throw DomainError.notFound(kind: "upload", id: id.uuidString)
            }
            return ConsoleUpload(id: id, kind: kind, fileName: try c("file_name"), content: try c("content"), rejectsCSV: try c("rejects_csv"),
                                 imported: try c("imported"))
        }
    }

    /// Keeps the rejects of the upload's last run; `imported` marks it used, so it cannot be imported twice.
    public func recordUploadRun(_ id: UUID, rejectsCSV: Data?, imported: Bool, actor: Principal, logger: Logger) async throws {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                UPDATE console_upload SET rejects_csv = \(rejectsCSV),
                       imported_at = CASE WHEN \(imported) THEN now() ELSE imported_at END
                WHERE id = \(id) AND user_id = \(actor.id)
                """, logger: logger)
        }
    }
}
