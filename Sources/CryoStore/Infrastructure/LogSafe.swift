import Foundation
import PostgresNIO

/// What may be said of an error in a log line: its kind and where it arose, never values. PostgreSQL's
/// messages and details can quote row values, and a decoding error's context can quote the input, so only
/// types, SQLSTATEs, constraint and table names and coding paths are logged.
public enum LogSafe {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            let info = error.serverInfo
            let parts = [
                "PSQLError \(error.code)",
                info?[.sqlState].map { "sqlstate \($0)" },
                info?[.constraintName].map { "constraint \($0)" },
                info?[.tableName].map { "table \($0)" },
            ]
            return parts.compactMap { $0 }.joined(separator: ", ")
        case let error as PostgresTransactionError:
            return "transaction failed: " + [error.closureError, error.rollbackError, error.beginError, error.commitError]
                .compactMap { $0.map(describe) }.joined(separator: "; ")
        case let error as DecodingError:
            return "DecodingError at \(codingPath(error))"
        default:
            return String(reflecting: type(of: error))
        }
    }

    private static func codingPath(_ error: DecodingError) -> String {
        let context: DecodingError.Context? = switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): c
        @unknown default: nil
        }
        let path = context?.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() ?? ""
        return path.isEmpty ? "the root" : path
    }
}
