// The values import operations take and return; the operations are in ../Import/.
import CryoDomain
import Foundation

public struct ImportOptions: Sendable {
    /// Validate and run every statement, then roll everything back.
    public var dryRun: Bool
    /// Rows per transaction.
    public var batchSize: Int
    public init(dryRun: Bool = false, batchSize: Int = 2000) {
        self.dryRun = dryRun; self.batchSize = batchSize
    }
}

public struct ImportProgress: Sendable {
    public var rowsDone: Int
    public var rowsTotal: Int
    public var inserted: Int
    public var unchanged: Int
    public var rejected: Int
    public var elapsed: Double
}

public struct ImportSummary: Sendable, Codable, Equatable {
    public var kind: String
    public var dryRun: Bool
    /// Data rows read (the header and blank lines are not rows).
    public var rows: Int = 0
    /// Rows written (in a dry run: rows that would have been written).
    public var inserted: Int = 0
    /// Rows already on record exactly as given (a re-run of the same file changes nothing).
    public var unchanged: Int = 0
    public var rejected: Int = 0
    public var batches: Int = 0
    public var custodyEvents: Int = 0
    public var seconds: Double = 0
    public var rejects: [RowReject] = []
}
