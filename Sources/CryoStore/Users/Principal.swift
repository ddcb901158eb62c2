import CryoDomain

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
