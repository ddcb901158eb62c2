import Foundation

/// The OpenAPI document the server code is generated from (Sources/CryoAPIGenerated/openapi.yaml
/// links to this file), served at `/openapi.yaml`.
enum OpenAPIDocument {
    static let yaml: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }
}
