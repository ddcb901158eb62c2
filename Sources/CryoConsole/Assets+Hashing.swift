import Foundation
import Hummingbird

/// The names the layout links to: content-hashed (`console.1a2b3c4d5e6f7a8b.css`), so a browser may keep them
/// for good (`Cache-Control: immutable`) and a new build's assets get new names.
struct AssetNames: Sendable {
    let css: String, js: String
}

/// One file of Assets/, with its compressed form when compressing makes it smaller.
struct ConsoleAsset: Sendable {
    let type: String
    let body: ByteBuffer
    let gzipped: ByteBuffer?
    /// Served under its content-hashed name: it never changes.
    let immutable: Bool
}

enum AssetCatalogue {
    /// Every file under both its own name (kept for old links, revalidated) and its content-hashed name (immutable).
    static func load(from directory: String) throws -> (assets: [String: ConsoleAsset], names: AssetNames) {
        var assets: [String: ConsoleAsset] = [:]
        var hashed: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8"
                : name.hasSuffix(".ico") ? "image/x-icon" : "application/octet-stream"
            let body = ByteBuffer(bytes: data)
            let gzipped = Gzip.compress(Array(data)).flatMap { $0.count < data.count ? ByteBuffer(bytes: $0) : nil }
            let hashedName = contentHashedName(name, data: data)
            hashed[name] = hashedName
            assets[name] = ConsoleAsset(type: type, body: body, gzipped: gzipped, immutable: false)
            assets[hashedName] = ConsoleAsset(type: type, body: body, gzipped: gzipped, immutable: true)
        }
        return (assets, AssetNames(css: hashed["console.css"] ?? "console.css", js: hashed["console.js"] ?? "console.js"))
    }

    /// "console.css" → "console.<16 hex digits of FNV-1a 64 of the content>.css".
    static func contentHashedName(_ name: String, data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        let digits = String(repeating: "0", count: 16 - hex.count) + hex
        guard let dot = name.lastIndex(of: ".") else { return name + "." + digits }
        return name[..<dot] + "." + digits + name[dot...]
    }
}
