import CryoDomain
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

/// What a signer supplies at the moment of signing: their password again, and what the signature means.
public struct SignatureInput: Sendable {
    public var password: String
    public var meaning: String
    public init(password: String, meaning: String) { self.password = password; self.meaning = meaning }
}

/// What the custody event records of a signature.
struct SignatureRecord: Sendable {
    var printedName: String
    var meaning: String
    var signedAt: Date

    var json: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let obj = ["printedName": printedName, "meaning": meaning, "signedAt": f.string(from: signedAt)]
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension Store {
    static let maxFailedSignatures = 5

    /// Re-authenticates the signer (21 CFR 11.200). A wrong password is recorded in its own
    /// transaction, so it stays recorded although the signed operation fails; the fifth in a row locks the account.
    func verifySignature(_ input: SignatureInput?, actor: Principal, logger: Logger) async throws -> SignatureRecord {
        guard let input else {
            throw DomainError.invalid(field: "signature", rule: "this step is an electronic signature: give your password and the meaning of the signature")
        }
        let meaning = input.meaning.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!meaning.isEmpty && meaning.count <= 200, "signature.meaning", "state what the signature means, e.g. \"approved for release\"")
        let row = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT password_hash, locked_at IS NOT NULL FROM app_user WHERE id = \(actor.id)", logger: logger)
                .decode((String?, Bool).self).all().first
        }
        guard let row else { throw DomainError.unauthenticated("unknown user") }
        if row.1 {
            throw DomainError.signatureRejected("the account is locked after \(Self.maxFailedSignatures) failed signatures; an admin must unlock it")
        }
        guard let hash = row.0 else {
            throw DomainError.conflict(field: "signature", rule: "the user has no signing password; an admin must set one")
        }
        if Bcrypt.verify(input.password, hash: hash) {
            _ = try await transaction(logger) { conn in
                try await conn.guardedQuery("UPDATE app_user SET failed_signatures = 0 WHERE id = \(actor.id) AND failed_signatures > 0", logger: logger)
            }
            return SignatureRecord(printedName: actor.name, meaning: meaning, signedAt: Date())
        }
        let locked = try await transaction(logger) { conn in
            let failures = try await conn.guardedQuery("""
                UPDATE app_user SET failed_signatures = failed_signatures + 1,
                       locked_at = CASE WHEN failed_signatures + 1 >= \(Self.maxFailedSignatures) THEN now() ELSE locked_at END
                WHERE id = \(actor.id) RETURNING failed_signatures
                """, logger: logger).decode(Int.self).all().first ?? 0
            let isLocked = failures >= Self.maxFailedSignatures
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(actor.id), action: "signature.failed",
                                                  toState: isLocked ? "locked" : nil, reason: "wrong password at signing",
                                                  details: ["failuresInARow": String(failures), "meaning": meaning]),
                                     by: actor, on: conn, logger: logger)
            return isLocked
        }
        logger.warning("failed electronic signature", metadata: ["user": "\(actor.id)", "locked": "\(locked)"])
        throw DomainError.signatureRejected(locked ? "wrong password; the account is now locked" : "wrong password for the electronic signature")
    }
}
