import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// The one path of every lot status change: `LotStatus.canMove` decides (its database twin is the `lot_transition`
    /// table behind the `check_status_transition()` trigger). Going on hold remembers the status it was held from;
    /// coming off hold returns there and nowhere else. The caller writes the custody events in the same transaction.
    /// Returns each lot's status before.
    @discardableResult
    static func changeLotStatus(_ numbers: [String], to next: LotStatus, on conn: PostgresConnection, logger: Logger) async throws -> [String: LotStatus] {
        var before: [String: LotStatus] = [:]
        let rows = try await conn.guardedQuery("""
            SELECT lot_number, status, held_from FROM lot WHERE lot_number = ANY(\(numbers)) ORDER BY lot_number FOR UPDATE
            """, logger: logger).named { c in (number: try c("lot_number", as: String.self), status: try c("status", as: String.self),
                                               heldFrom: try c("held_from", as: String?.self)) }
        for row in rows {
            let current = try LotStatus(stored: row.status)
            try LotStatus.checkTransition(from: current, to: next, heldFrom: row.heldFrom)
            before[row.number] = current
        }
        if let missing = numbers.first(where: { before[$0] == nil }) { throw DomainError.notFound(kind: "lot", id: missing) }
        try await conn.guardedQuery("""
            UPDATE lot SET held_from = CASE WHEN \(next.rawValue) = 'on-hold' THEN status END, status = \(next.rawValue), status_changed_at = now()
            WHERE lot_number = ANY(\(numbers))
            """, logger: logger)
        return before
    }

    /// Moves a lot along its status machine. Release goes through QA release (QC against the specification), so it
    /// is refused here. The move is checked once, on the status read first, before any signature is asked for
    /// (`LotStatus.checkTransition`); in the transaction the lot is locked and must still be in that status, and
    /// `changeLotStatus` applies the same decision as every other caller.
    public func transitionLot(number: String, to next: LotStatus, reason: String?, signature: SignatureInput? = nil,
                              actor: Principal, logger: Logger) async throws -> LotRecord {
        try Validator().require(reason.map { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? false, "reason", "a status change needs a reason")
        guard let before = try await read(logger, { conn in
            try await conn.guardedQuery("SELECT status, held_from FROM lot WHERE lot_number = \(number)", logger: logger)
                .named { c in (status: try LotStatus(stored: try c("status", as: String.self)), heldFrom: try c("held_from", as: String?.self)) }.first
        }) else {
            throw DomainError.notFound(kind: "lot", id: number)
        }
        try actor.require(LotStatus.action(from: before.status, to: next))
        if next == .onHold, before.status.canMove(to: .onHold) {
            _ = try await placeHold(on: .lot, id: number, reason: reason!, actor: actor, logger: logger)
            return try await lot(number: number, actor: actor, logger: logger)
        }
        try LotStatus.checkTransition(from: before.status, to: next, heldFrom: before.heldFrom)
        if next == .released && before.status != .onHold {
            throw DomainError.conflict(field: "status", rule: "release needs every specified QC test recorded and within limits and a signed QA disposition; use releaseLot (cryoledger lot release)")
        }
        // The signature is checked before the transaction, so no connection is held while bcrypt runs.
        let signed = LotStatus.isSigningStep(from: before.status, to: next) ? try await verifySignature(signature, actor: actor, logger: logger) : nil
        try await transaction(logger) { conn in
            guard let locked = try await conn.guardedQuery("SELECT status, held_from FROM lot WHERE lot_number = \(number) FOR UPDATE", logger: logger)
                .named({ c in (status: try LotStatus(stored: try c("status", as: String.self)), heldFrom: try c("held_from", as: String?.self)) }).first else {
                throw DomainError.notFound(kind: "lot", id: number)
            }
            let current = locked.status
            guard current == before.status, locked.heldFrom == before.heldFrom else {
                throw DomainError.conflict(field: "status", rule: "the lot changed from \(before.status.rawValue) to \(current.rawValue) meanwhile; check and retry")
            }
            if current == .onHold, next.rawValue == locked.heldFrom, let signed {
                // Coming off hold lifts every hold on the lot, under this one signature.
                let holds = try await conn.guardedQuery("""
                    SELECT id FROM hold WHERE subject_type = 'lot' AND subject_id = \(number) AND lifted_at IS NULL ORDER BY id FOR UPDATE
                    """, logger: logger).named { c in try c("id", as: Int64.self) }
                try await Self.liftHolds(holds, subject: .lot, subjectId: number, reason: reason!, signed: signed, actor: actor, on: conn, logger: logger)
                return
            }
            try await Self.changeLotStatus([number], to: next, on: conn, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "lot", subjectId: number, action: signed == nil ? "lot.status-changed" : "lot.status-signed",
                                                  fromState: current.rawValue, toState: next.rawValue, reason: reason, signature: signed),
                                     by: actor, on: conn, logger: logger)
        }
        return try await lot(number: number, actor: actor, logger: logger)
    }
}
