import CryoStore
import Foundation
import Logging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A witness the server submits its heads to: its base URL and its verifier key (type 0x04, C2SP tlog-cosignature).
/// Configured as `CRYOLEDGER_WITNESSES="URL VKEY,URL VKEY"`.
public struct WitnessEndpoint: Sendable {
    public var url: URL
    public var vkey: String
    public var name: String

    public init?(url: URL, vkey: String) {
        guard let (name, _, key) = LogSigner.parse(vkey: vkey), key.first == 0x04 else { return nil }
        self.url = url; self.vkey = vkey; self.name = name
    }

    public static func parse(_ text: String) throws -> [WitnessEndpoint] {
        try text.split(separator: ",").map { entry in
            let parts = entry.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let url = URL(string: String(parts[0])), let w = WitnessEndpoint(url: url, vkey: String(parts[1])) else {
                throw StoreError.configuration("CRYOLEDGER_WITNESSES: each witness is \"URL VKEY\" (its verifier key of type 0x04), separated by commas")
            }
            return w
        }
    }
}

/// Submits a head to a witness with a consistency proof from the last head the witness co-signed
/// (the tlog-witness "add-checkpoint" request: `old N`, the proof lines, a blank line, the checkpoint), and stores
/// the co-signature it returns once it verifies. A witness that knows a different size answers 409 with it; the
/// request is then made once more from that size.
struct WitnessClient {
    let store: Store
    let endpoint: WitnessEndpoint
    let logger: Logger

    func submit(_ head: TreeHead) async {
        do {
            var old = try await store.tlogLastWitnessed(by: endpoint.name, logger: logger) ?? 0
            for _ in 0..<2 {
                let (status, body) = try await post(head: head, old: old)
                if status == 200 {
                    try await record(head: head, response: body)
                    return
                }
                if status == 409, let size = Int64(body.split(separator: "\n").first ?? "") { old = size; continue }
                logger.warning("witness refused the head", metadata: ["witness": "\(endpoint.name)", "status": "\(status)", "size": "\(head.size)"])
                return
            }
        } catch {
            logger.warning("witness unreachable; the head stays without its co-signature", metadata: ["witness": "\(endpoint.name)", "error": "\(LogSafe.describe(error))"])
        }
    }

    private func post(head: TreeHead, old: Int64) async throws -> (Int, String) {
        let proof: [Data] = old > 0 && old < head.size ? try await store.tlogConsistency(from: old, to: head.size, logger: logger).2 : []
        let note = SignedNote(head.note).map { SignedNote(text: $0.text, signatures: [$0.signatures[0]]).serialized } ?? head.note
        let body = "old \(old)\n" + proof.map { $0.base64EncodedString() + "\n" }.joined() + "\n" + note
        var request = URLRequest(url: endpoint.url.appendingPathComponent("add-checkpoint"))
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    private func record(head: TreeHead, response: String) async throws {
        guard let note = SignedNote(head.note) else { return }
        for line in response.split(separator: "\n").map(String.init) where line.hasPrefix("— \(endpoint.name) ") {
            let cosigned = SignedNote(text: note.text, signatures: [line])
            guard LogSigner.verifyCosignature(cosigned, vkey: endpoint.vkey) else {
                logger.warning("witness returned a co-signature that does not verify", metadata: ["witness": "\(endpoint.name)"])
                return
            }
            try await store.tlogRecordCosignature(size: head.size, witness: endpoint.name, line: line, logger: logger)
        }
    }
}
