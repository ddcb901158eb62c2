import Crypto
import Foundation

/// The key that seals checkpoints. It lives outside the database: `CRYOLEDGER_AUDIT_KEY` (any text),
/// or a file `audit.key` in the CryoLedger home, created with 32 random bytes on first use of the
/// embedded cluster. Against an external database (`create: false`) the key must be given: every
/// replica has to seal with the same key, and a key made up on one pod would be lost with it.
public struct AuditKey: Sendable {
    private let bytes: Data
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    public var id: String { SHA256.hash(data: bytes).prefix(4).map { String(format: "%02x", $0) }.joined() }

    public init(_ bytes: Data) { self.bytes = bytes }

    public static func load(home: URL, create: Bool = true) throws -> AuditKey {
        if let text = ProcessInfo.processInfo.environment["CRYOLEDGER_AUDIT_KEY"], !text.isEmpty {
            return AuditKey(Data(text.utf8))
        }
        let file = home.appendingPathComponent("audit.key")
        if let data = FileManager.default.contents(atPath: file.path), data.count >= 32 {
            return AuditKey(data)
        }
        guard create else {
            throw StoreError.configuration("""
                CRYOLEDGER_AUDIT_KEY is not set: with DATABASE_URL every server must seal checkpoints with the same key \
                kept outside the database (e.g. openssl rand -hex 32, from a secret)
                """)
        }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        guard FileManager.default.createFile(atPath: file.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.configuration("cannot write the audit key to \(file.path)")
        }
        return AuditKey(Data(bytes))
    }

    func seal(lastEventId: Int64, eventCount: Int64, chainHash: Data) -> Data {
        let message = Data("cryoledger-checkpoint|\(lastEventId)|\(eventCount)|\(chainHash.hex)".utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }
}

extension Data {
    /// Lower-case hex. A table lookup: exports render two hashes per event, a million events at a time.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
