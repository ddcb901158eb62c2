import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// One custody event to append: who (the principal), what, from where to where, why.
/// The database assigns seq, time and the hash chain.
struct CustodyEntry: Sendable {
    var subjectType: String
    var subjectId: String
    var action: String
    var fromState: String? = nil
    var toState: String? = nil
    var fromLocation: String? = nil
    var toLocation: String? = nil
    var reason: String? = nil
    var details: [String: String] = [:]
    /// For signing steps: printed name, UTC time and meaning (21 CFR 11.50).
    var signature: SignatureRecord? = nil
}

enum Custody {
    /// Appends events in one statement (bulk vial creation writes hundreds at once).
    static func append(_ entries: [CustodyEntry], by actor: Principal, on conn: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        func col(_ f: (CustodyEntry) -> String?) -> [String] { entries.map { f($0) ?? "" } }
        let details = entries.map { jsonObject($0.details) }
        let signatures = entries.map { $0.signature?.json ?? "" }
        try Store.requireOpen(conn)  // every change ends here: do not write into a connection the server has closed
        // Prepared (parsed and planned once per connection): every write of the system appends here.
        _ = try await conn.guardedExecute(AppendEvents(actorId: actor.id, actorName: actor.name, actorRole: actor.custodyRole,
                                                       columns: [col { $0.subjectType }, col { $0.subjectId }, col { $0.action },
                                                                 col { $0.fromState }, col { $0.toState }, col { $0.fromLocation },
                                                                 col { $0.toLocation }, col { $0.reason }, details, signatures]),
                                          logger: logger)
        CustodyTally.current?.add(entries.count)
    }

    /// The events as ten parallel text arrays, in order; the database fills in seq, time and the hash chain (trigger).
    struct AppendEvents: PostgresPreparedStatement {
        static let name = "cryoledger_custody_append"
        static let sql = """
            INSERT INTO custody_event (subject_type, subject_id, action, actor_id, actor_name, actor_role,
                                       from_state, to_state, from_location, to_location, reason, details, signature, prev_hash, hash)
            SELECT st, sid, act, NULLIF($1, 0), $2, $3,
                   NULLIF(fs, ''), NULLIF(ts, ''), NULLIF(fl, ''), NULLIF(tl, ''), NULLIF(rs, ''), dt::jsonb, NULLIF(sg, '')::jsonb, '\\x', '\\x'
            FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                 WITH ORDINALITY AS e(st, sid, act, fs, ts, fl, tl, rs, dt, sg, n)
            ORDER BY n
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .text, .text] + Array(repeating: .textArray, count: 10)
        typealias Row = ()
        var actorId: Int64
        var actorName: String
        var actorRole: String
        /// subject type, subject id, action, from/to state, from/to location, reason, details, signature.
        var columns: [[String]]

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(actorId)
            b.append(actorName)
            b.append(actorRole)
            for column in columns { b.append(column) }
            return b
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// A flat JSON object of strings, keys sorted (the column is jsonb: PostgreSQL parses and normalises it).
    /// Written directly: JSONSerialization took 3 % of the server's CPU on a lot registration (perf).
    static func jsonObject(_ fields: [String: String]) -> String {
        var out = "{"
        for (i, key) in fields.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            appendJSONString(key, to: &out)
            out += ":"
            appendJSONString(fields[key]!, to: &out)
        }
        return out + "}"
    }

    static func appendJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func append(_ entry: CustodyEntry, by actor: Principal, on conn: PostgresConnection, logger: Logger) async throws {
        try await append([entry], by: actor, on: conn, logger: logger)
    }
}

extension Store {
    public func custodyEvents(subjectType: String, subjectId: String, actor: Principal, logger: Logger) async throws -> [CustodyEventRecord] {
        try actor.require(.readCustody)
        if subjectType == "patient" { try await logAuditorRead(of: [subjectId], what: "custody history", actor: actor, logger: logger) }
        return try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT id, subject_type, subject_id, seq, action, actor_name, actor_role, occurred_at,
                       from_state, to_state, from_location, to_location, reason, details::text AS details, encode(hash, 'hex') AS hash,
                       signature::text AS signature
                FROM custody_event WHERE subject_type = \(subjectType) AND subject_id = \(subjectId) ORDER BY seq
                """, logger: logger).named { c in
                    CustodyEventRecord(id: try c("id"), subjectType: try c("subject_type"), subjectId: try c("subject_id"), seq: try c("seq"),
                                       action: try c("action"), actorName: try c("actor_name"), actorRole: try c("actor_role"),
                                       occurredAt: try c("occurred_at"), fromState: try c("from_state"), toState: try c("to_state"),
                                       fromLocation: try c("from_location"), toLocation: try c("to_location"), reason: try c("reason"),
                                       details: try c("details"), signature: SignatureManifestation(json: try c("signature", as: String?.self)),
                                       hash: try c("hash"))
                }
        }
    }
}
