import CryoDomain
import Foundation
import Hummingbird
import NIOCore

/// Rules every request obeys whatever the operation, checked before the operation runs.
///
/// PostgreSQL `text` (and `jsonb`) cannot hold the NUL character U+0000, and a password compared by C code
/// would stop at it. No identifier, name, reason or password in CryoLedger may contain it, so it is refused
/// up front, naming the path or query parameter, or the JSON path of the body field. JSON bodies are screened
/// whole, however they are framed (`ContractMiddleware` collects them first). A key given twice in one JSON
/// object is refused too (`JSONDuplicateKeys`), so the screen and the decoder cannot read different copies.
enum InputScreening {
    static let nulRule = "must not contain the NUL character (U+0000)"

    static func checkParameters<Context: RequestContext>(_ request: Request, context: Context) throws {
        for (name, raw) in context.parameters {
            let value = String(raw).removingPercentEncoding ?? String(raw)
            if value.utf8.contains(0) { throw DomainError.invalid(field: String(name), rule: nulRule) }
        }
        if request.uri.query != nil {
            for (name, value) in request.uri.queryParameters where value.utf8.contains(0) {
                throw DomainError.invalid(field: String(name), rule: nulRule)
            }
        }
    }

    static let duplicateKeyRule = "is given twice in the same object; give each key once"

    static func checkJSON(_ body: ByteBuffer) throws {
        // The NUL screen and the decoder must read the same value: a key given twice is refused first.
        if let key = JSONDuplicateKeys.firstDuplicate(in: body.readableBytesView) {
            throw DomainError.invalid(field: key, rule: duplicateKeyRule)
        }
        // Cheap test first: a NUL can only be in valid JSON as the escape \u0000 (a raw NUL byte is invalid JSON).
        guard containsEscapedNUL(body.readableBytesView),
              let json = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]),
              let path = nulPath(in: json, at: "")
        else { return }
        throw DomainError.invalid(field: path.isEmpty ? "body" : path, rule: nulRule)
    }

    /// Whether the bytes hold `\u0000`; a plain loop (the generic `firstRange(of:)` cost 1 % of a POST's CPU).
    static func containsEscapedNUL(_ bytes: ByteBufferView) -> Bool {
        let pattern: [UInt8] = Array(#"\u0000"#.utf8)
        var i = bytes.startIndex
        while let slash = bytes[i...].firstIndex(of: UInt8(ascii: "\\")) {
            if bytes[slash...].starts(with: pattern) { return true }
            i = bytes.index(after: slash)
        }
        return false
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
