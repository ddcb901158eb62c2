import Foundation
import HTTPTypes
import Yams

/// What the OpenAPI document says about each operation that the transport must enforce before a handler
/// runs: which methods a path has (405), which media types a success may be (406), how large a body may be (413).
/// Read from the contract itself, so the checks cannot drift from it.
struct ContractIndex: Sendable {
    struct Operation: Sendable {
        let id: String
        let method: HTTPRequest.Method
        let template: String
        /// Media types of the documented 2xx responses, in document order.
        let successTypes: [String]
        /// Media types the request body may have; empty when the operation takes no body.
        let requestTypes: [String]
        /// `x-max-body-bytes` on the request body, or the default for its media type.
        let maxBodyBytes: Int
    }

    /// JSON bodies are small records; anything larger is refused before it is read.
    static let defaultMaxBodyBytes = 1024 * 1024

    private let byRoute: [String: Operation]
    private let templates: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(operations: [Operation]) {
        var byRoute: [String: Operation] = [:]
        var methods: [String: [HTTPRequest.Method]] = [:]
        for op in operations {
            byRoute[Self.key(op.method, op.template)] = op
            methods[op.template, default: []].append(op.method)
        }
        self.byRoute = byRoute
        self.templates = methods.sorted { $0.key < $1.key }.map { ($0.key.split(separator: "/"), $0.value) }
    }

    /// The operation a matched route serves; `template` is Hummingbird's endpoint path, e.g. `/vials/{vialId}`.
    func operation(_ method: HTTPRequest.Method, template: String) -> Operation? {
        byRoute[Self.key(method, template)]
    }

    /// The documented methods of the path, when the path exists in the contract (for 405 and `Allow`).
    func methods(forPath path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        for t in templates where t.segments.count == segments.count {
            let matches = zip(t.segments, segments).allSatisfy { template, actual in
                (template.hasPrefix("{") && template.hasSuffix("}")) || template == actual
            }
            if matches { return t.methods.contains(.get) ? t.methods + [.head] : t.methods }
        }
        return nil
    }

    private static func key(_ method: HTTPRequest.Method, _ template: String) -> String { "\(method.rawValue) \(template)" }
}

extension ContractIndex {
    enum LoadError: Error, CustomStringConvertible {
        case malformed(String)
        var description: String {
            switch self { case .malformed(let why): return "the OpenAPI document is malformed: \(why)" }
        }
    }

    /// Parses the served OpenAPI document (YAML).
    init(yaml: String) throws {
        guard let root = try Yams.load(yaml: yaml) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            throw LoadError.malformed("no paths")
        }
        let components = root["components"] as? [String: Any] ?? [:]
        func resolve(_ node: Any?) -> [String: Any]? {
            guard let dict = node as? [String: Any] else { return nil }
            guard let ref = dict["$ref"] as? String else { return dict }
            // Only local references: #/components/<kind>/<name>.
            let parts = ref.split(separator: "/").map(String.init)
            guard parts.count == 4, parts[0] == "#", parts[1] == "components" else { return nil }
            return (components[parts[2]] as? [String: Any])?[parts[3]] as? [String: Any]
        }
        var operations: [Operation] = []
        for (template, item) in paths {
            guard let item = item as? [String: Any] else { throw LoadError.malformed("path \(template)") }
            for (name, value) in item {
                guard let method = HTTPRequest.Method(name.uppercased()), ["GET", "PUT", "POST", "DELETE", "PATCH"].contains(method.rawValue),
                      let op = value as? [String: Any], let id = op["operationId"] as? String else { continue }
                let responses = op["responses"] as? [String: Any] ?? [:]
                var success: [String] = []
                for (status, response) in responses.sorted(by: { $0.key < $1.key }) where status.hasPrefix("2") {
                    let content = resolve(response)?["content"] as? [String: Any] ?? [:]
                    for type in content.keys.sorted() where !success.contains(type.lowercased()) { success.append(type.lowercased()) }
                }
                let body = resolve(op["requestBody"])
                let requestTypes = (body?["content"] as? [String: Any]).map { $0.keys.map { $0.lowercased() }.sorted() } ?? []
                let maxBody = (body?["x-max-body-bytes"] as? Int) ?? Self.defaultMaxBodyBytes
                operations.append(Operation(id: id, method: method, template: template, successTypes: success,
                                            requestTypes: requestTypes, maxBodyBytes: maxBody))
            }
        }
        self.init(operations: operations)
    }
}
