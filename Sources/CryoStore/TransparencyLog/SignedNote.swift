import Crypto
import Foundation

/// A tree head in the C2SP tlog-checkpoint format, signed as a C2SP signed note:
///
///     <origin>\n<size>\n<base64 root hash>\ntime <unix seconds>\n\n— <key name> <base64(key id || Ed25519 signature)>\n
///
/// The signature covers the text up to and including the newline before the blank line. The key id is the first four
/// bytes of SHA-256(key name || 0x0A || 0x01 || public key); a verifier key ("vkey") is `name+hex(key id)+base64(0x01 || key)`.
/// Witnesses add their own lines (C2SP tlog-cosignature: type 0x04, signed message "cosignature/v1\ntime T\n" + text).
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: Int64
    public var rootHash: Data
    public var time: Int64

    public init(origin: String, size: Int64, rootHash: Data, time: Int64) {
        self.origin = origin; self.size = size; self.rootHash = rootHash; self.time = time
    }

    public var text: String { "\(origin)\n\(size)\n\(rootHash.base64EncodedString())\ntime \(time)\n" }

    /// Parses the text of a note (everything before the blank line).
    public init?(text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 4, lines.last == "", let size = Int64(lines[1]), let root = Data(base64Encoded: lines[2]), root.count == 32 else { return nil }
        origin = lines[0]; self.size = size; rootHash = root
        time = lines.dropFirst(3).first { $0.hasPrefix("time ") }.flatMap { Int64($0.dropFirst(5)) } ?? 0
    }
}

public struct SignedNote: Sendable {
    public var text: String
    public var signatures: [String]   // "— name base64" lines, without the newline

    public var serialized: String { text + "\n" + signatures.map { $0 + "\n" }.joined() }

    public init(text: String, signatures: [String]) { self.text = text; self.signatures = signatures }

    public init?(_ note: String) {
        guard let split = note.range(of: "\n\n", options: .backwards) else { return nil }
        text = String(note[..<split.lowerBound]) + "\n"
        signatures = note[split.upperBound...].split(separator: "\n").map(String.init)
        guard !signatures.isEmpty, signatures.allSatisfy({ $0.hasPrefix("— ") }) else { return nil }
    }

    /// The signature bytes of the line by `name` with `keyId`, without the key id.
    public func signature(name: String, keyId: Data) -> Data? {
        for line in signatures {
            let parts = line.dropFirst(2).split(separator: " ")
            guard parts.count == 2, parts[0] == name, let raw = Data(base64Encoded: String(parts[1])), raw.count > 4,
                  raw.prefix(4) == keyId else { continue }
            return raw.dropFirst(4)
        }
        return nil
    }
}

/// The log's Ed25519 signing key. `CRYOLEDGER_TLOG_KEY` (base64 of the 32-byte seed), or `tlog.key` in the CryoLedger
/// home, created on first use of the embedded cluster. The key name is the log's origin.
public struct LogSigner: Sendable {
    public let origin: String
    private let seed: Data
    public let publicKey: Data
    var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    public init(origin: String, seed: Data) throws {
        self.origin = origin
        self.seed = seed
        publicKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation
    }

    public static let defaultOrigin = "cryoledger.local/custody-log"

    public static func load(home: URL, create: Bool = true) throws -> LogSigner {
        let env = ProcessInfo.processInfo.environment
        let origin = env["CRYOLEDGER_TLOG_ORIGIN"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultOrigin
        if let text = env["CRYOLEDGER_TLOG_KEY"], !text.isEmpty {
            guard let seed = Data(base64Encoded: text), seed.count == 32 else {
                throw StoreError.configuration("CRYOLEDGER_TLOG_KEY must be the base64 of a 32-byte Ed25519 seed (e.g. openssl rand -base64 32)")
            }
            return try LogSigner(origin: origin, seed: seed)
        }
        let file = home.appendingPathComponent("tlog.key")
        if let data = FileManager.default.contents(atPath: file.path), data.count == 32 {
            return try LogSigner(origin: origin, seed: data)
        }
        guard create else {
            throw StoreError.configuration("CRYOLEDGER_TLOG_KEY is not set: with DATABASE_URL every server must sign tree heads with the same key, kept outside the database")
        }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let seed = Curve25519.Signing.PrivateKey().rawRepresentation
        guard FileManager.default.createFile(atPath: file.path, contents: seed, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.configuration("cannot write the transparency log key to \(file.path)")
        }
        return try LogSigner(origin: origin, seed: seed)
    }

    public var keyId: Data { LogSigner.keyId(name: origin, type: 0x01, publicKey: publicKey) }
    public var keyIdHex: String { keyId.hex }
    /// The verifier key inspectors are given: `name+keyid+base64(0x01 || public key)`.
    public var vkey: String { "\(origin)+\(keyIdHex)+\((Data([0x01]) + publicKey).base64EncodedString())" }

    static func keyId(name: String, type: UInt8, publicKey: Data) -> Data {
        Data(SHA256.hash(data: Data(name.utf8) + Data([0x0A, type]) + publicKey).prefix(4))
    }

    public func sign(_ checkpoint: Checkpoint) throws -> SignedNote {
        let signature = try key.signature(for: Data(checkpoint.text.utf8))
        return SignedNote(text: checkpoint.text, signatures: ["— \(origin) \((keyId + signature).base64EncodedString())"])
    }

    /// Checks the log's own signature on a note.
    public static func verify(_ note: SignedNote, vkey: String) -> Bool {
        guard let (name, keyId, key) = parse(vkey: vkey), key.first == 0x01,
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.dropFirst()),
              let signature = note.signature(name: name, keyId: keyId) else { return false }
        return publicKey.isValidSignature(signature, for: Data(note.text.utf8))
    }

    /// A witness's co-signature (type 0x04): 8-byte time, then the signature over "cosignature/v1\ntime T\n" + text.
    public static func verifyCosignature(_ note: SignedNote, vkey: String) -> Bool {
        guard let (name, keyId, key) = parse(vkey: vkey), key.first == 0x04,
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.dropFirst()),
              let raw = note.signature(name: name, keyId: keyId), raw.count == 72 else { return false }
        let time = raw.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return publicKey.isValidSignature(raw.dropFirst(8), for: Data("cosignature/v1\ntime \(time)\n\(note.text)".utf8))
    }

    public static func parse(vkey: String) -> (String, Data, Data)? {
        let parts = vkey.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let id = Data(hexString: String(parts[1])), id.count == 4,
              let key = Data(base64Encoded: String(parts[2])), key.count == 33 else { return nil }
        guard keyId(name: String(parts[0]), type: key[key.startIndex], publicKey: key.dropFirst()) == id else { return nil }
        return (String(parts[0]), id, Data(key))
    }
}
