import CryoDomain
import Foundation
import Hummingbird

/// Rules every request obeys whatever the operation, checked before the operation runs.
///
/// PostgreSQL `text` (and `jsonb`) cannot hold the NUL character U+0000: a value carrying one used to reach
/// the database and come back as a 500 (SQLSTATE 22021). No identifier, name or reason in CryoLedger may
/// contain it, so it is refused up front, naming the path or query parameter, or the JSON path of the body field.
enum InputScreening {
    static let nulRule = "must not contain the NUL character (U+0000)"
    /// JSON bodies up to this size (by Content-Length) are screened; larger or chunked ones go through
    /// untouched, and a NUL in them is still refused by the database and answered with a 400 (see `Problem`).
    static let maxScreenedBody = 32 * 1024 * 1024

    static func check<Context: RequestContext>(_ request: inout Request, context: Context) async throws {
        for (name, raw) in context.parameters {
            let value = String(raw).removingPercentEncoding ?? String(raw)
            if value.utf8.contains(0) { throw DomainError.invalid(field: String(name), rule: nulRule) }
        }
        if request.uri.query != nil {
            for (name, value) in request.uri.queryParameters where value.utf8.contains(0) {
                throw DomainError.invalid(field: String(name), rule: nulRule)
            }
        }
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/json") || type.contains("+json"),
              let length = request.headers[.contentLength].flatMap({ Int($0) }), length > 0, length <= maxScreenedBody
        else { return }
        let body = try await request.collectBody(upTo: maxScreenedBody)
        // Cheap test first: a NUL can only be in valid JSON as the escape \u0000.
        guard body.readableBytesView.firstRange(of: Array(#"\u0000"#.utf8)) != nil,
              let json = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]),
              let path = nulPath(in: json, at: "")
        else { return }
        throw DomainError.invalid(field: path.isEmpty ? "body" : path, rule: nulRule)
    }

    /// The JSON path ("screeningTests[0].test") of the first string or key holding a NUL, if any.
    static func nulPath(in value: Any, at path: String) -> String? {
        switch value {
        case let string as String:
            return string.utf8.contains(0) ? path : nil
        case let array as [Any]:
            for (i, element) in array.enumerated() {
                if let found = nulPath(in: element, at: "\(path)[\(i)]") { return found }
            }
            return nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if key.utf8.contains(0) { return child }
                if let found = nulPath(in: object[key]!, at: child) { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
