import PostgresNIO

/// A row read by column name, so adding a column to a query renumbers nothing:
/// `let c = NamedColumns(row); let status: VialStatus = try c("status")`.
struct NamedColumns {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    /// The column `name` decoded as `T`. A name the query does not select is a programming error reported as a
    /// thrown error (PostgresNIO's own subscript would stop the process).
    func callAsFunction<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self,
                                              file: String = #fileID, line: Int = #line) throws -> T {
        guard row.contains(name) else { throw MissingColumn(name: name, file: file, line: line) }
        return try row[name].decode(T.self, file: file, line: line)
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let name: String, file: String, line: Int
        var description: String { "the query read at \(file):\(line) selects no column named \(name)" }
    }
}

extension PostgresRowSequence {
    /// Every row, each made into a value by reading its columns by name.
    func named<T>(_ make: (NamedColumns) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await row in self { out.append(try make(NamedColumns(row))) }
        return out
    }
}
