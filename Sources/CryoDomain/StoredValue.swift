/// A value read from the database that no domain enum knows: a server fault (a migration and the code
/// disagree), never silently mapped to a default.
public struct UnknownStoredValue: Error, Sendable, CustomStringConvertible {
    public var type: String
    public var value: String
    public init(type: String, value: String) { self.type = type; self.value = value }
    public var description: String { "the database holds \(type) '\(value)', which this version does not know" }
}

extension RawRepresentable where RawValue == String {
    /// The enum case for a value read from the database; an unknown value is an error.
    public init(stored text: String) throws(UnknownStoredValue) {
        guard let value = Self(rawValue: text) else { throw UnknownStoredValue(type: String(describing: Self.self), value: text) }
        self = value
    }
}
