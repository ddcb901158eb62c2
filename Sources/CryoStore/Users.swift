import CryoDomain
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO
import Synchronization

public struct IssuedToken: Sendable {
    public let user: Principal
    /// Shown once; only its bcrypt hash is stored.
    public let token: String
}

/// Verified tokens, keyed by SHA-256 of the token, kept briefly so that each request
/// does not pay for a bcrypt check. Revocation takes effect within `ttl`.
final class TokenCache: Sendable {
    private let entries = Mutex<[Data: (Principal, ContinuousClock.Instant)]>([:])
    let ttl: Duration = .seconds(30)

    func lookup(_ key: Data) -> Principal? {
        entries.withLock { map in
            guard let (p, until) = map[key] else { return nil }
            if until < .now { map[key] = nil; return nil }
            return p
        }
    }

    func store(_ key: Data, _ p: Principal) {
        entries.withLock { map in
            if map.count > 10_000 { map.removeAll() }
            map[key] = (p, .now + ttl)
        }
    }
}

extension Store {
    static let bcryptCost: UInt8 = 10

    /// Creates a user and its first token. The bootstrap path: no caller is checked.
    public func createUser(name: String, role: Role, password: String?, logger: Logger) async throws -> IssuedToken {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(trimmed.count >= 2 && trimmed.count <= 100 && trimmed == name, "name", "must be 2 to 100 characters with no surrounding spaces (it is the printed name on signatures)")
        if let password {
            try Validator().require(password.count >= 12, "password", "must be at least 12 characters")
        }
        let passwordHash = password.map { Bcrypt.hash($0, cost: 12) }
        let (tokenId, secret, token) = Self.newToken()
        let secretHash = Bcrypt.hash(secret, cost: Self.bcryptCost)
        let principal: Principal = try await transaction(logger) { conn in
            let id = try await conn.guardedQuery("""
                INSERT INTO app_user (name, role, password_hash) VALUES (\(name), \(role.rawValue), \(passwordHash)) RETURNING id
                """, logger: logger).decode(Int64.self).all().first!
            try await conn.guardedQuery("INSERT INTO api_token (id, user_id, secret_hash) VALUES (\(tokenId), \(id), \(secretHash))", logger: logger)
            let p = Principal(id: id, name: name, role: role)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(id), action: "user.created", toState: role.rawValue), by: p, on: conn, logger: logger)
            return p
        }
        return IssuedToken(user: principal, token: token)
    }

    /// Resolves `Authorization: Bearer` tokens of the form `cl_<uuid hex>_<secret>`.
    public func authenticate(token: String, logger: Logger) async throws -> Principal {
        let key = Data(SHA256.hash(data: Data(token.utf8)))
        if let cached = tokens.lookup(key) { return cached }
        let parts = token.split(separator: "_", maxSplits: 2)
        guard parts.count == 3, parts[0] == "cl", let id = UUID(hexString: String(parts[1])) else {
            throw DomainError.unauthenticated("the bearer token is malformed")
        }
        let row = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT t.secret_hash, u.id, u.name, u.role FROM api_token t JOIN app_user u ON u.id = t.user_id
                WHERE t.id = \(id) AND t.revoked_at IS NULL
                """, logger: logger).decode((String, Int64, String, String).self).all().first
        }
        guard let row, Bcrypt.verify(String(parts[2]), hash: row.0), let role = Role(rawValue: row.3) else {
            throw DomainError.unauthenticated("the bearer token is not valid")
        }
        let principal = Principal(id: row.1, name: row.2, role: role)
        tokens.store(key, principal)
        return principal
    }

    static func newToken() -> (UUID, String, String) {
        let id = UUID()
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let secret = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let hex = id.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return (id, secret, "cl_\(hex)_\(secret)")
    }
}

extension UUID {
    init?(hexString: String) {
        guard hexString.count == 32, hexString.allSatisfy(\.isHexDigit) else { return nil }
        let h = Array(hexString)
        let dashed = "\(String(h[0..<8]))-\(String(h[8..<12]))-\(String(h[12..<16]))-\(String(h[16..<20]))-\(String(h[20..<32]))"
        self.init(uuidString: dashed)
    }
}
