/// A field of an instance that breaks FORMAT.md, with its JSON path (`demands[3].targetCells`).
public struct InstanceError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
