import Crypto
import Foundation

/// Why an export does not verify, in a sentence an inspector reads (the same wording as `tools/verify_export.py`).
public struct ExportVerificationFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
    init(_ reason: String) { self.reason = reason }
}

/// What an export proved about itself: its events, their subjects, the signed head they are in, and its co-signers.
public struct ExportVerification: Sendable {
    public var events: Int
    public var subjects: Int
    public var size: Int64
    public var rootHash: Data
    public var signedBy: String
    /// Witnesses whose co-signature checked, on the export's head or on an earlier head it extends.
    public var witnesses: [String]
    /// Co-signature lines on the export's head by witnesses whose key was not given (not checked).
    public var uncheckedCosigners: [String]
}

/// The independent verifier's checks (tools/verify_export.py), run in the server on an uploaded JSON or NDJSON
/// export: the head's signature by one of the log's keys, every event's hash, readable fields and inclusion proof,
/// the subjects' chains, and the co-signatures of the witnesses whose keys are given. Pure: no database.
public enum TLogExportVerifier {
    public static func verify(_ data: Data, logKeys: [String], witnessKeys: [String]) throws(ExportVerificationFailure) -> ExportVerification {
        let (header, events) = try load(data)
        guard let transparency = header["transparency"] as? [String: Any], let checkpoint = transparency["checkpoint"] as? String else {
            throw .init("the export carries no signed tree head: it cannot be checked against the log")
        }
        let (note, head, signedBy) = try verifyHead(checkpoint, logKeys: logKeys, what: "the tree head")
        var seen: [Int64: Int64] = [:]
        for e in events {
            let (id, index) = try checkEvent(e, size: head.size, root: head.rootHash)
            if let other = seen[index] { throw .init("events \(other) and \(id) claim the same place in the log (leaf \(index))") }
            seen[index] = id
        }
        let subjects = try checkChains(events, period: (header["scope"] as? String ?? "").hasPrefix("all events from"))
        var witnesses: [String] = []
        for text in witnessKeys {
            witnesses.append(try checkWitness(text, transparency: transparency, note: note, head: head, logKeys: logKeys))
        }
        let unchecked = note.signatures.compactMap { line -> String? in
            let name = line.dropFirst(2).split(separator: " ").first.map(String.init) ?? ""
            return name == signedBy || witnesses.contains(name) ? nil : name
        }
        return ExportVerification(events: events.count, subjects: subjects, size: head.size, rootHash: head.rootHash,
                                  signedBy: signedBy, witnesses: witnesses, uncheckedCosigners: unchecked)
    }

    /// The export's header (the JSON document, or NDJSON's first line) and its events.
    static func load(_ data: Data) throws(ExportVerificationFailure) -> ([String: Any], [[String: Any]]) {
        if let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let events = doc["events"] {
            guard let events = events as? [[String: Any]] else { throw .init("the export's events are not a list of objects") }
            return (doc, events)
        }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard let first = lines.first, let header = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any] else {
            throw .init("the export is not complete JSON or NDJSON: it was cut short or altered")
        }
        var events: [[String: Any]] = []
        for line in lines.dropFirst() where !line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) {
            guard let e = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw .init("the export is not complete JSON or NDJSON: it was cut short or altered")
            }
            events.append(e)
        }
        guard header["format"] != nil else { throw .init("the export has no header: not a CryoLedger export") }
        guard lines.last?.isEmpty == true else { throw .init("the export's last line is incomplete: the file was cut short") }
        return (header, events)
    }

    /// The head's signature by one of `logKeys`, and its checkpoint.
    static func verifyHead(_ text: String, logKeys: [String], what: String) throws(ExportVerificationFailure) -> (SignedNote, Checkpoint, String) {
        guard let note = SignedNote(text) else { throw .init("\(what) is not a signed note (no blank line before the signatures)") }
        let keys = logKeys.compactMap { vkey in LogSigner.parse(vkey: vkey).map { (vkey, $0.0, $0.1) } }
        guard let (vkey, name, _) = keys.first(where: { note.signature(name: $0.1, keyId: $0.2) != nil }) else {
            let others = note.signatures.map { line -> String in
                let parts = line.dropFirst(2).split(separator: " ")
                let id = parts.count == 2 ? Data(base64Encoded: String(parts[1])).map { $0.prefix(4).hex } ?? "?" : "?"
                return "\(parts.first ?? "") (key \(id))"
            }
            throw .init("\(what) is signed by \(others.isEmpty ? "nobody" : others.joined(separator: ", ")), not by a key of this log (\(keys.map { "\($0.1), key \($0.2.hex)" }.joined(separator: "; ")))")
        }
        guard LogSigner.verify(note, vkey: vkey) else {
            throw .init("\(what)'s signature by \(name) does not verify: the head was altered after it was signed")
        }
        guard let checkpoint = Checkpoint(text: note.text) else { throw .init("\(what) is not a checkpoint (origin, size, base64 root hash)") }
        guard checkpoint.origin == name else { throw .init("\(what) names the log \"\(checkpoint.origin)\" but is signed by \"\(name)\"") }
        return (note, checkpoint, name)
    }

    /// The readable fields an event repeats from its hashed fields (index in the hashed fields, key).
    static let readable = [(0, "subjectType"), (1, "subjectId"), (3, "action"), (5, "actorName"), (6, "actorRole"), (7, "occurredAt"),
                           (8, "fromState"), (9, "toState"), (10, "fromLocation"), (11, "toLocation"), (12, "reason")]

    static func checkEvent(_ e: [String: Any], size: Int64, root: Data) throws(ExportVerificationFailure) -> (Int64, Int64) {
        guard let number = e["id"] as? NSNumber, let fields = e["hashedFields"] as? [String], fields.count == 16 else {
            throw .init("event \(e["id"].map { "\($0)" } ?? "without id"): malformed (id and 16 hashed fields expected)")
        }
        let id = number.int64Value
        guard let prev = (e["prevHash"] as? String).flatMap(Data.init(hexString:)), let digest = (e["hash"] as? String).flatMap(Data.init(hexString:)) else {
            throw .init("event \(id): malformed hashes")
        }
        guard Data(SHA256.hash(data: Data(fields.joined(separator: "\u{1F}").utf8) + prev)) == digest else {
            throw .init("event \(id): its content does not match its hash: the event was edited")
        }
        guard fields[2] == (e["seq"] as? NSNumber).map({ "\($0.int64Value)" }) else {
            throw .init("event \(id): the readable field 'seq' differs from what was hashed: the event was edited")
        }
        for (i, key) in readable where fields[i] != (e[key] as? String ?? "") {
            throw .init("event \(id): the readable field '\(key)' differs from what was hashed: the event was edited")
        }
        guard sameJSON(fields[13], e["details"]), sameSignature(fields[14], e["signature"]) else {
            throw .init("event \(id): its details or signature differ from what was hashed: the event was edited")
        }
        guard let proof = e["inclusion"] as? [String: Any] else {
            throw .init("event \(id): carries no inclusion proof: it is not in the signed log (forged, or added to the export)")
        }
        guard (proof["treeSize"] as? NSNumber)?.int64Value == size else {
            throw .init("event \(id): its inclusion proof is for a tree of \(proof["treeSize"].map { "\($0)" } ?? "no") entries, not the head's \(size)")
        }
        guard let index = (proof["leafIndex"] as? NSNumber)?.int64Value, let texts = proof["path"] as? [String] else {
            throw .init("event \(id): malformed inclusion proof")
        }
        let path = texts.compactMap { Data(base64Encoded: $0) }
        guard path.count == texts.count else { throw .init("event \(id): malformed inclusion proof") }
        let leaf = MerkleTree.leafHash(MerkleTree.eventLeaf(id: id, hash: digest))
        guard MerkleTree.rootFromInclusion(index: index, size: size, leafHash: leaf, path: path) == root else {
            throw .init("event \(id): not in the signed log: its inclusion proof does not lead to the head's root hash (forged, renumbered, or changed after it was logged)")
        }
        return (id, index)
    }

    /// Each subject's events link seq by seq; a scoped export holds every event of its subjects from seq 1.
    static func checkChains(_ events: [[String: Any]], period: Bool) throws(ExportVerificationFailure) -> Int {
        func subject(_ e: [String: Any]) -> String { "\(e["subjectType"] as? String ?? "")/\(e["subjectId"] as? String ?? "")" }
        func int(_ e: [String: Any], _ key: String) -> Int64 { (e[key] as? NSNumber)?.int64Value ?? 0 }
        struct Key: Hashable { let subject: String; let seq: Int64 }
        var present: [Key: Int64] = [:]
        for e in events { present[Key(subject: subject(e), seq: int(e, "seq"))] = int(e, "id") }
        var last: [String: (seq: Int64, hash: String, id: Int64)] = [:]
        var previousId: Int64?
        for e in events {
            let s = subject(e), id = int(e, "id"), seq = int(e, "seq")
            if period, let previousId, id < previousId {
                throw .init("events \(previousId) and \(id) are out of order: the export was reordered")
            }
            previousId = id
            if let l = last[s] {
                if seq <= l.seq { throw .init("\(s): event \(id) (seq \(seq)) comes after event \(l.id) (seq \(l.seq)): the events were reordered") }
                if seq != l.seq + 1, let next = present[Key(subject: s, seq: l.seq + 1)] {
                    throw .init("\(s): event \(id) (seq \(seq)) comes before event \(next) (seq \(l.seq + 1)): the events were reordered")
                }
                if seq != l.seq + 1 { throw .init("\(s): seq jumps from \(l.seq) to \(seq) (event \(id)): events were deleted") }
                if e["prevHash"] as? String != l.hash { throw .init("\(s): event \(id) does not link to event \(l.id) before it: the chain was broken") }
            } else if !period, seq != 1 {
                throw .init("\(s): its history starts at seq \(seq), not 1: events were deleted")
            }
            last[s] = (seq, e["hash"] as? String ?? "", id)
        }
        return last.count
    }

    /// A witness's co-signature on the export's head, or on an earlier head of this log that the export's head extends.
    static func checkWitness(_ text: String, transparency: [String: Any], note: SignedNote, head: Checkpoint,
                             logKeys: [String]) throws(ExportVerificationFailure) -> String {
        guard let (name, _, key) = LogSigner.parse(vkey: text) else {
            throw .init("a witness key is not a verifier key (name+keyid+base64): \(text.prefix(60))")
        }
        guard key.first == 0x04 else { throw .init("witness key \(name) is not a co-signing key (type 0x04)") }
        if LogSigner.verifyCosignature(note, vkey: text) { return name }
        let entries = (transparency["witnessed"] as? [[String: Any]] ?? []).filter { $0["witness"] as? String == name }
        guard let w = entries.first, let checkpoint = w["checkpoint"] as? String else {
            throw .init("witness \(name) co-signed no head of this log up to this export: nobody independent saw this history")
        }
        guard let wnote = SignedNote(checkpoint), LogSigner.verifyCosignature(wnote, vkey: text) else {
            throw .init("the head attributed to witness \(name) does not carry its valid co-signature")
        }
        let (_, wHead, _) = try verifyHead(checkpoint, logKeys: logKeys, what: "the head witness \(name) co-signed")
        guard wHead.size <= head.size else {
            throw .init("witness \(name) co-signed a head of \(wHead.size) entries; this export's head has only \(head.size): the log was truncated")
        }
        let proof = (w["proof"] as? [String] ?? []).compactMap { Data(base64Encoded: $0) }
        guard MerkleTree.verifyConsistency(from: wHead.size, wHead.rootHash, to: head.size, head.rootHash, proof: proof) else {
            throw .init("split view: this export's head (\(head.size) entries) does not extend the head witness \(name) co-signed (\(wHead.size) entries, root \(wHead.rootHash.base64EncodedString())); the log's history was rewritten after the witness saw it")
        }
        return name
    }

    static func canonical(_ value: Any) -> Data? {
        try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }

    static func sameJSON(_ hashed: String, _ readable: Any?) -> Bool {
        let absent = readable == nil || readable is NSNull
        if hashed.isEmpty || absent {
            guard hashed.isEmpty else { return false }
            return absent || (readable as? String) == "" || (readable as? [String: Any])?.isEmpty == true
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(hashed.utf8), options: .fragmentsAllowed),
              let a = canonical(parsed), let b = canonical(readable!) else { return false }
        return a == b
    }

    /// The readable manifestation says what the hashed one says: printed name and meaning exactly, the time to the second.
    static func sameSignature(_ hashed: String, _ readable: Any?) -> Bool {
        if sameJSON(hashed, readable) { return true }
        guard let h = (try? JSONSerialization.jsonObject(with: Data(hashed.utf8))) as? [String: Any], let r = readable as? [String: Any] else { return false }
        guard h["printedName"] as? String == r["printedName"] as? String, h["meaning"] as? String == r["meaning"] as? String,
              let a = instant(h["signedAt"]), let b = instant(r["signedAt"]) else { return false }
        return a == b
    }

    static func instant(_ value: Any?) -> Int64? {
        guard let text = value as? String else { return nil }
        let precise = ISO8601DateFormatter(), plain = ISO8601DateFormatter()
        precise.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = precise.date(from: text) ?? plain.date(from: text) else { return nil }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
