import HTTPTypes

/// A request refused by what the contract says of the transport (method, media type, size), before any
/// operation runs. Rendered by `ProblemMiddleware` as problem+json with these extra headers (`Allow`).
struct TransportRefusal: Error {
    var status: HTTPResponse.Status
    var field: String
    var rule: String
    var headers: HTTPFields = [:]

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> TransportRefusal {
        let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = allow
        return TransportRefusal(status: .methodNotAllowed, field: "method", rule: "\(method.rawValue) is not defined for this path; use \(allow)", headers: headers)
    }

    static func notAcceptable(offered: [String]) -> TransportRefusal {
        TransportRefusal(status: .notAcceptable, field: "Accept",
                         rule: "this operation answers with \(offered.joined(separator: " or ")); accept one of them")
    }

    static func contentTooLarge(limit: Int?) -> TransportRefusal {
        guard let limit else { return TransportRefusal(status: .contentTooLarge, field: "body", rule: "is larger than this operation accepts") }
        return TransportRefusal(status: .contentTooLarge, field: "body", rule: "must be at most \(limit) bytes (\(Self.readable(limit)))")
    }

    static func readable(_ bytes: Int) -> String {
        bytes >= 1024 * 1024 ? "\(bytes / (1024 * 1024)) MiB" : "\(bytes / 1024) KiB"
    }
}
