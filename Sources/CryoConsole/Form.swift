import CryoDomain
import Foundation
import Hummingbird

/// `application/x-www-form-urlencoded` bodies of the console's forms, decoded by Hummingbird's URL-encoded form
/// decoder: a page's form is a `Decodable` struct; `read` gives the fields by name for the pages not yet typed.
enum Form {
    static let decoder = URLEncodedFormDecoder()
    static let defaultLimit = 64 * 1024

    /// Collects the body (refusing one over `limit`) and decodes it into the form's struct; the request keeps the
    /// collected body. A body that does not fit the struct is a refusal naming the field, never a 500.
    /// The same for a handler that reads nothing else of the request.
    static func decode<Fields: Decodable>(_ type: Fields.Type, from request: Request, limit: Int = defaultLimit) async throws -> Fields {
        var request = request
        return try await decode(type, &request, limit: limit)
    }

    static func decode<Fields: Decodable>(_ type: Fields.Type, _ request: inout Request, limit: Int = defaultLimit) async throws -> Fields {
        let body = try await request.collectBody(upTo: limit)
        do {
            return try decoder.decode(Fields.self, from: String(buffer: body))
        } catch let error as DecodingError {
            throw DomainError.invalid(field: Self.field(of: error), rule: "is missing or not in the expected form")
        } catch {
            throw DomainError.invalid(field: "form", rule: "is not a well-formed form submission")
        }
    }

    /// The fields by name (the CSRF check and the pages not yet typed); a malformed body has no fields.
    static func read(_ request: inout Request, limit: Int) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: limit)
        return (try? decoder.decode([String: String].self, from: String(buffer: body))) ?? [:]
    }

    static func field(of error: DecodingError) -> String {
        let path: [any CodingKey] = switch error {
        case .keyNotFound(let key, let context): context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context.codingPath
        @unknown default: []
        }
        return path.map(\.stringValue).joined(separator: ".").nonEmpty ?? "form"
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension String {
    /// Nil for an empty or blank field: what a form sends for "not given".
    var nonEmpty: String? { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : self }
}
