import Crypto
import Foundation

/// How an API token's secret is stored and checked.
///
/// A token is `cl_<id>_<secret>` with a 256-bit random secret. A slow password hash (bcrypt) protects
/// secrets a person chose, which can be guessed; nobody can search 2^256 secrets, whatever the hash costs.
/// So the stored form is SHA-256 over a domain label, the token id and the secret ("sha256:<hex>" in
/// `api_token.secret_hash`): one hash per check instead of ~0.15 s of bcrypt, and a row's hash is bound to
/// its id. No server-side key (HMAC) is used: it would add nothing against a 256-bit secret and would have to
/// reach every process that checks tokens (the CLI too) and survive key rotation.
/// Tokens issued before this (bcrypt, "$2b$…") are checked once with bcrypt and then rewritten in this form.
enum TokenHash {
    static let prefix = "sha256:"
    private static let label = Data("cryoledger api token v1".utf8)

    static func digest(id: UUID, secret: Substring) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: label)
        withUnsafeBytes(of: id.uuid) { hasher.update(bufferPointer: $0) }
        hasher.update(data: Data(secret.utf8))
        return Array(hasher.finalize())
    }

    static func stored(id: UUID, secret: Substring) -> String {
        prefix + digest(id: id, secret: secret).map { String(format: "%02x", $0) }.joined()
    }

    /// The digest in a stored "sha256:<hex>" value; nil for a legacy bcrypt hash (or anything else).
    static func parse(_ stored: String) -> [UInt8]? {
        guard stored.hasPrefix(prefix) else { return nil }
        let hex = Array(stored.utf8.dropFirst(prefix.utf8.count))
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let b = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
        }
        return bytes
    }

    /// Compares in time that depends only on the lengths, never on where the first difference is.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Compared against when the token id is unknown, so that a miss does the same work as a wrong secret.
    static let decoy: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
}
