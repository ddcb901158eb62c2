import CryoDomain
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

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
    /// Re-authenticates the signer (21 CFR 11.200); the `SignatureLockout.limit`-th wrong password in a row locks
    /// the account. Only signatures count here: failed sign-ins are throttled apart (`SignInThrottle`).
    ///
    /// Counting and locking are one atomic step: before the password is checked, `signature_lockout_take()` takes
    /// one of the account's remaining tries (only while it is unlocked and below the limit). However many attempts
    /// run at once, at most `limit` get a try; the others are refused without a password check. A right password
    /// gives the streak back (0); a wrong one keeps its try, is recorded as a custody event in its own transaction
    /// (so it stays recorded although the signed operation fails), and the one that took the last try locks the
    /// account (`signature_lockout_fail()`), reported as a burst. No connection is held while bcrypt runs.
    func verifySignature(_ input: SignatureInput?, actor: Principal, logger: Logger) async throws -> SignatureRecord {
        guard let input else {
            throw DomainError.invalid(field: "signature", rule: "this step is an electronic signature: give your password and the meaning of the signature")
        }
        let meaning = input.meaning.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!meaning.isEmpty && meaning.count <= 200, "signature.meaning", "state what the signature means, e.g. \"approved for release\"")
        // One statement, so atomic on its own: no transaction around it.
        let attempt = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT tries, password_hash FROM signature_lockout_take(\(actor.id))", logger: logger)
                .decode((Int, String).self).all().first
        }
        guard let (tries, hash) = attempt else { throw try await signatureRefusal(actor: actor, logger: logger) }
        // A NUL or more than 72 bytes: not anybody's password (SigningPassword), so a wrong one, without bcrypt.
        let password = input.password
        var right = false
        if SigningPassword.isComparable(password) { right = await Self.offloaded { Bcrypt.verify(password, hash: hash) } }
        if right {
            _ = try await read(logger) { conn in
                try await conn.guardedQuery("UPDATE app_user SET failed_signatures = 0 WHERE id = \(actor.id) AND failed_signatures > 0", logger: logger)
            }
            return SignatureRecord(printedName: actor.name, meaning: meaning, signedAt: Date())
        }
        let locks = try await transaction(logger) { conn in
            let locked = try await conn.guardedQuery("SELECT signature_lockout_fail(\(actor.id), \(Int32(tries)))", logger: logger)
                .decode(Bool.self).all().first ?? false
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(actor.id), action: "signature.failed",
                                                  toState: locked ? "locked" : nil, reason: "wrong password at signing",
                                                  details: ["failuresInARow": String(tries), "meaning": meaning]),
                                     by: actor, on: conn, logger: logger)
            if locked && SignatureLockout.isBurst(tries: tries) {
                try await Custody.append(SecurityBurst.signatureEntry(user: actor, failures: tries), by: actor, on: conn, logger: logger)
            }
            return locked
        }
        logger.warning("failed electronic signature", metadata: ["user": "\(actor.id)", "locked": "\(locks)"])
        throw DomainError.signatureRejected(locks ? "wrong password; the account is now locked" : "wrong password for the electronic signature")
    }

    /// Why no try was left: a locked account, no signing password, or every try taken by attempts still being checked.
    private func signatureRefusal(actor: Principal, logger: Logger) async throws -> DomainError {
        let row = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT password_hash IS NOT NULL, locked_at IS NOT NULL FROM app_user WHERE id = \(actor.id)", logger: logger)
                .decode((Bool, Bool).self).all().first
        }
        guard let (hasPassword, locked) = row else { return .unauthenticated("unknown user") }
        if locked || hasPassword {
            return .signatureRejected("the account is locked after \(SignatureLockout.limit) failed signatures; an admin must unlock it")
        }
        return .conflict(field: "signature", rule: "the user has no signing password; an admin must set one")
    }
}
