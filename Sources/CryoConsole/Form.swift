import Foundation
import Hummingbird

/// `application/x-www-form-urlencoded` bodies of the console's forms.
enum Form {
    /// Collects the body (refusing one over `limit`) and parses it; the request keeps the collected body.
    static func read(_ request: inout Request, limit: Int) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: limit)
        return parse(String(buffer: body))
    }

    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first else { continue }
            out[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
