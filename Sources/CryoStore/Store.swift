import CryoDomain
import Logging
import PostgresNIO

/// The system of record. Every operation validates its input, checks the caller's role,
/// and commits its state change together with its custody events in one transaction.
public struct Store: Sendable {
    public let client: PostgresClient
    /// A read replica for heavy reads (auditors' exports); nil reads from the primary.
    public let readClient: PostgresClient?
    let tokens: TokenCache

    public init(client: PostgresClient, readClient: PostgresClient? = nil) {
        self.client = client
        self.readClient = readClient
        self.tokens = TokenCache()
    }

    /// Runs `body` in a transaction and turns database errors into domain errors.
    /// Custody events the body appends are counted once the transaction has committed.
    func transaction<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        let tally = CustodyTally()
        let asked = ContinuousClock.now
        do {
            let result = try await CustodyTally.$current.withValue(tally) {
                try await client.withTransaction(logger: logger) { conn in
                    StoreMetrics.leaseStarted(.primary, askedAt: asked)
                    defer { StoreMetrics.leaseEnded(.primary) }
                    return try await body(conn)
                }
            }
            if tally.value > 0 { StoreMetrics.custodyEvents.increment(by: tally.value) }
            return result
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    func read<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        let asked = ContinuousClock.now
        do {
            return try await client.withConnection { conn in
                StoreMetrics.leaseStarted(.primary, askedAt: asked)
                defer { StoreMetrics.leaseEnded(.primary) }
                return try await body(conn)
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    /// A read that may run on the replica: exports and reports, which tolerate replication lag of a few
    /// seconds. Writes (the auditor-read log among them) always go through `transaction` to the primary.
    func replicaRead<R: Sendable>(_ logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        guard let readClient else { return try await read(logger, body) }
        let asked = ContinuousClock.now
        do {
            return try await readClient.withConnection { conn in
                StoreMetrics.leaseStarted(.replica, askedAt: asked)
                defer { StoreMetrics.leaseEnded(.replica) }
                return try await body(conn)
            }
        } catch {
            throw DatabaseErrors.map(error)
        }
    }

    public func isReachable(logger: Logger) async -> Bool {
        (try? await client.query("SELECT 1", logger: logger)) != nil
    }
}

/// SQLSTATE codes to domain errors, so a constraint the database enforced reads like the rule it stands for.
enum DatabaseErrors {
    static let constraintMessages: [String: (field: String, rule: String)] = [
        "vial_position_occupied": ("position", "that position already holds a vial"),
        "vial_position_pkey": ("vialId", "the vial is already placed; move it instead"),
        "donor_pkey": ("code", "a donor with this code is already registered"),
        "lot_pkey": ("lotNumber", "a lot with this number is already registered"),
        "product_pkey": ("code", "a product with this code already exists"),
        "site_pkey": ("code", "a site with this code already exists"),
        "freezer_pkey": ("id", "a freezer with this id already exists"),
        "rack_pkey": ("id", "a rack with this id already exists"),
        "box_pkey": ("id", "a box with this id already exists"),
        "rack_freezer_id_label_key": ("label", "the freezer already has a rack with this label"),
        "box_rack_id_label_key": ("label", "the rack already has a box with this label"),
        "app_user_name_key": ("name", "a user with this name already exists"),
    ]

    static func map(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError {
            if let inner = tx.closureError ?? tx.commitError ?? tx.beginError { return map(inner) }
            return error
        }
        guard let psql = error as? PSQLError, let info = psql.serverInfo, let state = info[.sqlState] else { return error }
        let constraint = info[.constraintName] ?? ""
        let message = info[.message] ?? "database error"
        switch state {
        case "23505":
            let known = constraintMessages[constraint]
            return DomainError.conflict(field: known?.field, rule: known?.rule ?? "duplicate: \(message)")
        case "23503":
            return DomainError.invalid(field: constraint, rule: "refers to something that does not exist (\(info[.detail] ?? message))")
        case "23514", "23502", "22P02", "22007", "22008", "22003":
            return DomainError.invalid(field: info[.columnName] ?? constraint, rule: message)
        case "CL409":
            return DomainError.conflict(field: info[.columnName], rule: message)
        case "CL422":
            return DomainError.invalid(field: info[.columnName] ?? "position", rule: message)
        case "CL403":
            return DomainError.conflict(field: nil, rule: message)
        case "40001", "40P01":
            return DomainError.conflict(field: nil, rule: "a concurrent change got there first; retry")
        default:
            return error
        }
    }
}

extension AsyncSequence {
    /// Collects a (small) decoded result set.
    func all() async throws -> [Element] {
        var out: [Element] = []
        for try await element in self { out.append(element) }
        return out
    }
}
