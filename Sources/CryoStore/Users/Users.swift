import CryoDomain
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO
import Synchronization

extension Store {
    /// Creates a user and its first token. The bootstrap path: no caller is checked. `creator` is the administrator
    /// the "user created" event is attributed to (nil: the new user, as when the CLI bootstraps the first one).
    public func createUser(name: String, role: Role, password: String?, login: String? = nil, creator: Principal? = nil,
                           logger: Logger) async throws -> IssuedToken {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(trimmed.count >= 2 && trimmed.count <= 100 && trimmed == name, "name", "must be 2 to 100 characters with no surrounding spaces (it is the printed name on signatures)")
        if let login { try LoginName.validate(login) }
        var passwordHash: String?
        if let password {
            try Validator().require(password.count >= 12, "password", "must be at least 12 characters")
            try Validator().require(SigningPassword.isComparable(password), "password", SigningPassword.rule)
            passwordHash = await Self.offloaded { Bcrypt.hash(password, cost: Store.passwordCost) }
        }
        let (tokenId, secret, token) = Self.newToken()
        let secretHash = TokenHash.stored(id: tokenId, secret: Substring(secret))
        let principal: Principal = try await transaction(logger) { conn in
            let id = try await conn.guardedQuery("""
                INSERT INTO app_user (name, role, password_hash, login) VALUES (\(name), \(role.rawValue), \(passwordHash), \(login)) RETURNING id
                """, logger: logger).decode(Int64.self).all().first!
            try await conn.guardedQuery("INSERT INTO api_token (id, user_id, secret_hash) VALUES (\(tokenId), \(id), \(secretHash))", logger: logger)
            let p = Principal(id: id, name: name, role: role)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(id), action: "user.created", toState: role.rawValue,
                                                  details: ["login": login ?? ""]), by: creator ?? p, on: conn, logger: logger)
            return p
        }
        return IssuedToken(user: principal, token: token)
    }

    /// Resolves `Authorization: Bearer` tokens of the form `cl_<uuid hex>_<secret>`, against the database on every
    /// call (TokenFlights): a revoked token, a deactivated user or a changed role counts from the next request.
    public func authenticate(token: String, logger: Logger) async throws -> Principal {
        guard let (id, secret) = Self.parseToken(token) else {
            throw DomainError.unauthenticated("the bearer token is malformed")
        }
        return try await tokens.verify(Self.cacheKey(token)) { [self] in try await verifyToken(id: id, secret: secret, logger: logger) }
    }

    /// Token verifications run since this store was made (for tests: concurrent requests share one).
    public var tokenVerifications: Int { tokens.verificationCount }

    /// The token id of a well-formed token (its `<uuid hex>` part), for limits per token.
    public static func tokenId(of token: String) -> String? { parseToken(token).map { $0.0.uuidString.lowercased() } }

    static func cacheKey(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }

    static func parseToken(_ token: String) -> (UUID, Substring)? {
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "cl", let id = UUID(hexString: String(parts[1])), !parts[2].isEmpty else { return nil }
        return (id, parts[2])
    }

    /// One lookup and one SHA-256 comparison, the same for an unknown id, a revoked token and a wrong secret.
    /// A token still stored as bcrypt is checked with bcrypt once and rewritten as SHA-256 (TokenHash).
    func verifyToken(id: UUID, secret: Substring, logger: Logger) async throws -> Principal {
        let row = try await read(logger) { conn in try await conn.guardedExecute(TokenLookup(id: id), logger: logger).first }
        let presented = TokenHash.digest(id: id, secret: secret)
        var valid: Bool
        if let row, let expected = TokenHash.parse(row.secretHash) {
            valid = TokenHash.constantTimeEqual(presented, expected)
        } else {
            valid = TokenHash.constantTimeEqual(presented, TokenHash.decoy)
            if let row, row.secretHash.hasPrefix("$2") {
                let legacy = row.secretHash, text = String(secret)
                valid = await Self.offloaded { Bcrypt.verify(text, hash: legacy) }
                if valid { try await upgradeTokenHash(id: id, from: legacy, to: TokenHash.stored(id: id, secret: secret), logger: logger) }
            }
        }
        guard valid, let row, let role = Role(rawValue: row.role) else {
            throw DomainError.unauthenticated("the bearer token is not valid")
        }
        return Principal(id: row.userId, name: row.name, role: role)
    }

    /// The lookup behind every authenticated request: a prepared statement, planned once per connection.
    struct TokenLookup: PostgresPreparedStatement {
        static let name = "cryoledger_token_lookup"
        static let sql = """
            SELECT t.secret_hash, u.id AS user_id, u.name, u.role FROM api_token t JOIN app_user u ON u.id = t.user_id
            WHERE t.id = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL
            """
        typealias Row = (secretHash: String, userId: Int64, name: String, role: String)
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(id)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = NamedColumns(row)
            return (try c("secret_hash"), try c("user_id"), try c("name"), try c("role"))
        }
    }

    /// Rewrites a bcrypt-hashed token as SHA-256 once its secret has been verified. Not a custody event:
    /// the token, its user and its validity are unchanged, only the form its secret is checked in.
    func upgradeTokenHash(id: UUID, from old: String, to new: String, logger: Logger) async throws {
        _ = try await transaction(logger) { conn in
            try await conn.guardedQuery("UPDATE api_token SET secret_hash = \(new) WHERE id = \(id) AND secret_hash = \(old)", logger: logger)
        }
        logger.info("api token hash upgraded from bcrypt to sha256")
    }

    /// bcrypt work factor for sign-in and signing passwords (OWASP: at least 10). 11 keeps a sign-in under 300 ms
    /// on this 2-core machine; hashes made with another cost keep verifying, as bcrypt stores the cost in the hash.
    static let passwordCost: UInt8 = 11

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
