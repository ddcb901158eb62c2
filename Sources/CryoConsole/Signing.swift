import CryoStore

/// The signing step of a console form (21 CFR 11.50, 11.200): the page fixes the meaning and shows it with the
/// signer's printed name; the signer re-enters the password. The Store verifies it, counts failures and locks.
/// A form includes the `signature` partial inside a section whose context is a `SignatureView`.
enum Signing {
    static let passwordField = "signaturePassword"

    /// Nil when no password was given: the Store then refuses, naming the signature as missing.
    static func input(_ form: [String: String], meaning: String) -> SignatureInput? {
        guard let password = form[passwordField], !password.isEmpty else { return nil }
        return SignatureInput(password: password, meaning: meaning)
    }
}

/// The signature partial's values as a typed view: the meaning, the ids of its fields, the action named on its button.
struct SignatureView: Sendable {
    let signMeaning: String, signId: String, signAction: String
}
