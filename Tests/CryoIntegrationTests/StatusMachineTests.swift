import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Every pair of statuses, tried against the database's trigger by direct SQL: the database refuses
/// exactly the transitions the domain's machine refuses, whoever writes.
@Suite("Status machines in the database")
struct StatusMachineTests {
    @Test("lot: every legal transition commits, every illegal one is refused and changes nothing")
    func lotMachine() async throws {
        try await withFixture { f in
            try await f.lot("LOT-SM")
            // Release also needs a disposition on record (migration 003); give it one so the machine alone decides.
            try await f.client.query(PostgresQuery(unsafeSQL: "INSERT INTO lot_disposition (lot_number, decision, kind, decided_by, pending_tests) VALUES ('LOT-SM', 'released', 'conditional', \(f.user(.qa).id), '{viability}')"), logger: Fixture.logger)
            // Holds have their own rule (migration 007: on hold exactly while a hold is active), tested on its own.
            try await f.client.query("ALTER TABLE lot DISABLE TRIGGER lot_hold_state", logger: Fixture.logger)
            for from in LotStatus.allCases {
                for to in LotStatus.allCases where to != from {
                    // A hold returns to the state it was held from (migration 006): hold from the target when lifting.
                    let held = from == .onHold ? (to == .released ? "'released'" : to == .inProcess ? "'in-process'" : "'quarantine'") : "NULL"
                    try await f.client.withConnection { conn in
                        try await conn.query("ALTER TABLE lot DISABLE TRIGGER USER", logger: Fixture.logger)
                        try await conn.query(PostgresQuery(unsafeSQL: "UPDATE lot SET status = '\(from.rawValue)', held_from = \(held) WHERE lot_number = 'LOT-SM'"), logger: Fixture.logger)
                        try await conn.query("ALTER TABLE lot ENABLE TRIGGER USER", logger: Fixture.logger)
                        try await conn.query("ALTER TABLE lot DISABLE TRIGGER lot_hold_state", logger: Fixture.logger)
                    }
                    let heldTo = to == .onHold ? "'\(from == .onHold ? "quarantine" : from.rawValue)'" : "NULL"
                    let sql = "UPDATE lot SET status = '\(to.rawValue)', held_from = \(heldTo) WHERE lot_number = 'LOT-SM'"
                    // Signing steps also need a signed custody event in the same transaction (migration 005): give every change one.
                    let event = "INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, to_state, signature, prev_hash, hash) VALUES ('lot', 'LOT-SM', 'test', 'T', 'qa', '\(to.rawValue)', '{}', '\\x', '\\x')"
                    var refused = false
                    do {
                        try await f.client.withTransaction(logger: Fixture.logger) { conn in
                            try await conn.query(PostgresQuery(unsafeSQL: sql), logger: Fixture.logger)
                            try await conn.query(PostgresQuery(unsafeSQL: event), logger: Fixture.logger)
                        }
                    } catch let error as PostgresTransactionError {
                        let psql = (error.closureError ?? error.commitError) as? PSQLError
                        refused = true
                        // Only the transition rule may refuse it (or held_from's check for on-hold targets from final states).
                        #expect(["CL409", "23514"].contains(psql?.serverInfo?[.sqlState] ?? ""), "\(from)->\(to): \(String(reflecting: error))")
                    }
                    #expect(refused == !from.canMove(to: to), "lot \(from.rawValue) -> \(to.rawValue)")
                    let now = try await f.client.query("SELECT status FROM lot WHERE lot_number = 'LOT-SM'", logger: Fixture.logger).decode(String.self).rows().first
                    #expect(now == (refused ? from.rawValue : to.rawValue))
                }
            }
        }
    }

    @Test("vial: every legal transition commits, every illegal one is refused and changes nothing")
    func vialMachine() async throws {
        try await withFixture { f in
            let vial = try await f.lot("LOT-VM", vials: 1)[0].id
            for from in VialStatus.allCases {
                for to in VialStatus.allCases where to != from {
                    try await f.client.query(PostgresQuery(unsafeSQL: "ALTER TABLE vial DISABLE TRIGGER USER"), logger: Fixture.logger)
                    try await f.client.query(PostgresQuery(unsafeSQL: "UPDATE vial SET status = '\(from.rawValue)', thawed_at = \([.thawed, .administered, .destroyed].contains(from) ? "now()" : "NULL") WHERE id = '\(vial)'"), logger: Fixture.logger)
                    try await f.client.query(PostgresQuery(unsafeSQL: "ALTER TABLE vial ENABLE TRIGGER USER"), logger: Fixture.logger)
                    var refused = false
                    // Only the machine is under test: the dispense rules (usable lot, reservation, signed administration;
                    // migrations 007 and 009) have their own tests, so their triggers are off here.
                    let thawed = [.thawed, .administered, .destroyed].contains(to) ? "now()" : "NULL"
                    do {
                        try await f.client.withTransaction(logger: Fixture.logger) { conn in
                            for t in ["vial_usable", "vial_reservation_consistent", "vial_signed_administration", "vial_handoff_scanned", "vial_thaw_readiness"] {
                                try await conn.query(PostgresQuery(unsafeSQL: "ALTER TABLE vial DISABLE TRIGGER \(t)"), logger: Fixture.logger)
                            }
                            try await conn.query(PostgresQuery(unsafeSQL: "UPDATE vial SET status = '\(to.rawValue)', thawed_at = \(thawed) WHERE id = '\(vial)'"), logger: Fixture.logger)
                            for t in ["vial_usable", "vial_reservation_consistent", "vial_signed_administration", "vial_handoff_scanned", "vial_thaw_readiness"] {
                                try await conn.query(PostgresQuery(unsafeSQL: "ALTER TABLE vial ENABLE TRIGGER \(t)"), logger: Fixture.logger)
                            }
                        }
                    } catch let error as PostgresTransactionError {
                        refused = true
                        #expect(((error.closureError ?? error.commitError) as? PSQLError)?.serverInfo?[.sqlState] == "CL409", "\(String(reflecting: error))")
                    }
                    #expect(refused == !from.canMove(to: to), "vial \(from.rawValue) -> \(to.rawValue)")
                }
            }
        }
    }

    @Test("the database's transition tables equal the domain's machines")
    func tablesAgree() async throws {
        try await withFixture { f in
            let lot = Set(try await f.client.query("SELECT from_status || '>' || to_status FROM lot_transition", logger: Fixture.logger).decode(String.self).rows())
            let domainLot = Set(LotStatus.allCases.flatMap { from in from.successors.map { "\(from.rawValue)>\($0.rawValue)" } })
            #expect(lot == domainLot)
            let vial = Set(try await f.client.query("SELECT from_status || '>' || to_status FROM vial_transition", logger: Fixture.logger).decode(String.self).rows())
            let domainVial = Set(VialStatus.allCases.flatMap { from in from.successors.map { "\(from.rawValue)>\($0.rawValue)" } })
            #expect(vial == domainVial)
        }
    }
}
