import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): the secret is "whsec_" + base64 of the key; the
/// signature of a message is "v1," + base64(HMAC-SHA256(key, "id.timestamp.body")); several signatures (one per
/// secret in force during a rotation) are separated by spaces in `webhook-signature`.
public enum WebhookSignature {
    public static func newSecret() -> String {
        "whsec_" + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    public static func sign(secret: String, id: String, timestamp: Int, body: Data) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else { return nil }
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header: one signature per secret.
    public static func header(secrets: [String], id: String, timestamp: Int, body: Data) -> String {
        secrets.compactMap { sign(secret: $0, id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
    }
}
