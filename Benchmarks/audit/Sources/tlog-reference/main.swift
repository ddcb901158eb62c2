import CryoStore
import Crypto
import Foundation
import Hummingbird
import Logging
import PostgresNIO

// The reference for the proof benchmark (Benchmarks/audit/tlog.sh): a bare Hummingbird + PostgresNIO server that
// answers GET /audit/proofs/inclusion?eventId=N with the work the API does for it — the token lookup, a SHA-256 of
// the secret, the proof statement, the folding, a JSON body — and nothing else.
//   tlog-reference DATABASE_URL PORT

struct TokenLookup: PostgresPreparedStatement {
    static let name = "reference_token_lookup"
    static let sql = TLogReference.tokenLookupSQL
    typealias Row = String
    var id: UUID
    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings()
        b.append(id)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode((String, Int64, String, String).self).0 }
}

struct Inclusion: PostgresPreparedStatement {
    static let name = "reference_tlog_inclusion"
    static let sql = TLogReference.inclusionSQL
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
    typealias Row = (size: Int64, leafIndex: Int64, path: [String])?
    var eventId: Int64
    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings()
        b.append(eventId)
        b.appendNull()
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try TLogReference.inclusionProof(row) }
}

struct Proof: ResponseEncodable {
    var size: Int64
    var leafIndex: Int64
    var path: [String]
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: tlog-reference DATABASE_URL PORT\n".utf8))
    exit(2)
}
let logger = Logger(label: "tlog-reference")
let client = PostgresClient(configuration: try DatabaseURL(parsing: arguments[1]).clientConfiguration(maxConnections: 8, keepOpen: true),
                            backgroundLogger: logger)
let router = Router()
router.get("/audit/proofs/inclusion") { request, context -> Proof in
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
          let id = Store.tokenId(of: String(header.dropFirst(7))).flatMap(UUID.init(uuidString:)) else { throw HTTPError(.unauthorized) }
    let stored = try await client.withConnection { try await $0.execute(TokenLookup(id: id), logger: logger).first { _ in true } }
    _ = SHA256.hash(data: Data(header.utf8))
    guard stored != nil else { throw HTTPError(.unauthorized) }
    guard let eventId = request.uri.queryParameters["eventId"].flatMap({ Int64($0) }) else { throw HTTPError(.badRequest) }
    let row = try await client.withConnection { try await $0.execute(Inclusion(eventId: eventId), logger: logger).first { _ in true } }
    guard let found = row, let proof = found else { throw HTTPError(.notFound) }
    return Proof(size: proof.size, leafIndex: proof.leafIndex, path: proof.path)
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), services: [client], logger: logger)
try await app.runService()
