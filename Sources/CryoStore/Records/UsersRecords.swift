// The values users operations take and return; the operations are in ../Users/.
import CryoDomain
import Foundation

/// A signed-in console user (21 CFR 11.100, 11.300): sessions live in PostgreSQL, known by the SHA-256 of
/// their cookie, and end at sign-out, at the next sign-in, or after the idle time-out.
public struct ConsoleSession: Sendable {
    public let user: Principal
    /// Sent back in every form that changes anything; a POST without it is refused.
    public let csrfToken: String
    public let lastSeen: Date
}

/// A CSV uploaded in the console: kept between the dry run and the confirmed import, so the file that was
/// checked is the file that is imported; only its uploader may use it.
public struct ConsoleUpload: Sendable {
    public let id: UUID
    public let kind: ImportKind
    public let fileName: String
    public let content: Data
    public let rejectsCSV: Data?
    public let imported: Bool
}

/// The authenticated caller of an operation.
public struct Principal: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let role: Role

    public init(id: Int64, name: String, role: Role) {
        self.id = id; self.name = name; self.role = role
    }

    /// The server itself, for what happens without anyone asking (lots expiring at midnight).
    public static let system = Principal(id: 0, name: "CryoLedger (automatic)", role: .admin)
    public var isSystem: Bool { id == 0 }
    var custodyRole: String { isSystem ? "system" : role.rawValue }

    public func require(_ action: Action) throws(DomainError) {
        guard role.may(action) else { throw .forbidden(role: role, action: action) }
    }
}

/// What a signer supplies at the moment of signing: their password again, and what the signature means.
public struct SignatureInput: Sendable {
    public var password: String
    public var meaning: String
    public init(password: String, meaning: String) { self.password = password; self.meaning = meaning }
}

/// A user named by the API (its id) or by the CLI (its name).
public enum UserReference: Sendable {
    case id(Int64)
    case name(String)

    var text: String {
        switch self {
        case .id(let id): return String(id)
        case .name(let name): return name
        }
    }
}

/// An account's signing state.
public struct UserAccount: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let role: Role
    public let locked: Bool
    public let failedSignatures: Int
}

/// A user as the administrators' screen lists it.
public struct UserSummary: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let login: String?
    public let role: Role
    public let locked: Bool
    public let deactivated: Bool
    public let hasPassword: Bool
}

public struct IssuedToken: Sendable {
    public let user: Principal
    /// Shown once; only a hash of its secret is stored (TokenHash).
    public let token: String
}

/// A burst of failed sign-ins (per login name or address) or failed signatures, as administrators see it.
public struct SecurityBurstRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case signIn = "sign-in", signature }
    public let eventId: Int64
    public let occurredAt: Date
    public let kind: Kind
    public let description: String
    public let failuresInARow: Int
}

/// Locked users and the latest bursts (21 CFR 11.300(d): reported to administrators).
public struct SecurityReport: Sendable {
    public let lockedUsers: [UserSummary]
    public let bursts: [SecurityBurstRecord]
}
