import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation
import OpenAPIRuntime

/// The transparency log over the custody events (issue 27): its public key, signed heads and proofs.
extension APIService {
    func getLogPublicKey(_ input: Operations.GetLogPublicKey.Input) async throws -> Operations.GetLogPublicKey.Output {
        guard let signer = logSigner else { throw DomainError.notFound(kind: "transparency log key", id: "this server signs no tree heads") }
        return .ok(.init(body: .plainText(HTTPBody(signer.vkey + "\n"))))
    }

    func listTreeHeads(_ input: Operations.ListTreeHeads.Input) async throws -> Operations.ListTreeHeads.Output {
        _ = try caller()
        if let size = input.query.size {
            guard let head = try await store.tlogHead(size: size, logger: logger) else { throw DomainError.notFound(kind: "signed tree head", id: String(size)) }
            return .ok(.init(body: .json([Self.treeHead(head)])))
        }
        let heads = try await store.tlogHeads(limit: input.query.limit ?? 1, logger: logger)
        return .ok(.init(body: .json(heads.map(Self.treeHead))))
    }

    func getInclusionProof(_ input: Operations.GetInclusionProof.Input) async throws -> Operations.GetInclusionProof.Output {
        _ = try caller()
        let (head, proof) = try await store.tlogInclusion(eventId: input.query.eventId, size: input.query.size, logger: logger)
        return .ok(.init(body: .json(.init(head: Self.treeHead(head), proof: Self.inclusion(proof)))))
    }

    func getConsistencyProof(_ input: Operations.GetConsistencyProof.Input) async throws -> Operations.GetConsistencyProof.Output {
        _ = try caller()
        let (old, new, proof) = try await store.tlogConsistency(from: input.query.from, to: input.query.to, logger: logger)
        return .ok(.init(body: .json(.init(from: Self.treeHead(old), to: Self.treeHead(new), proof: proof.map { $0.base64EncodedString() }))))
    }

    static func treeHead(_ h: TreeHead) -> Components.Schemas.TreeHead {
        .init(size: h.size, rootHash: h.rootHash.base64EncodedString(), signedAt: h.signedAt, keyId: h.keyId, checkpoint: h.note, witnesses: h.witnesses)
    }

    static func inclusion(_ p: InclusionProof) -> Components.Schemas.InclusionProof {
        .init(leafIndex: p.leafIndex, treeSize: p.treeSize, path: p.path)
    }

    static func transparency(_ t: ExportTransparency) -> Components.Schemas.ExportTransparency {
        .init(checkpoint: t.head.note, publicKey: t.publicKey,
              witnessed: t.witnessed.map { .init(witness: $0.witness, checkpoint: $0.checkpoint, proof: $0.proof.map { $0.base64EncodedString() }) })
    }

    /// The NDJSON header's `transparency` member: the same fields as the JSON export's.
    static func transparencyJSON(_ t: ExportTransparency) -> [String: AnyJSONValue] {
        ["checkpoint": .string(t.head.note), "publicKey": .string(t.publicKey),
         "witnessed": .array(t.witnessed.map { .object(["witness": .string($0.witness), "checkpoint": .string($0.checkpoint),
                                                         "proof": .array($0.proof.map { .string($0.base64EncodedString()) })]) })]
    }
}

/// A small JSON value for the NDJSON header.
enum AnyJSONValue: Encodable {
    case string(String)
    case array([AnyJSONValue])
    case object([String: AnyJSONValue])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
