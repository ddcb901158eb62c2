/// A box's space as the planner sees it: geometry, taken positions, and whether it already holds the lot being placed.
public struct BoxSpace: Sendable, Equatable {
    public var id: String
    public var freezerId: String
    public var rows: Int
    public var columns: Int
    /// Taken positions, as row * 100 + column.
    public var taken: Set<Int>
    public var holdsLot: Bool
    public init(id: String, freezerId: String, rows: Int, columns: Int, taken: Set<Int>, holdsLot: Bool = false) {
        self.id = id; self.freezerId = freezerId; self.rows = rows; self.columns = columns; self.taken = taken; self.holdsLot = holdsLot
    }

    public var capacity: Int { rows * columns }
    public var occupied: Int { taken.count }
    public var freeCount: Int { capacity - taken.count }

    /// Free positions in row-major order (the order a box is filled and read).
    public var free: [Position] {
        var out: [Position] = []
        for r in 1...max(rows, 1) { for c in 1...max(columns, 1) where !taken.contains(r * 100 + c) { out.append(Position(boxId: id, row: r, column: c)) } }
        return out
    }
}

public struct ConsolidationCandidate: Sendable, Equatable, Codable {
    /// The box that could be emptied…
    public var boxId: String
    public var occupied: Int
    /// …into this box of the same freezer, which has room for all of it.
    public var intoBoxId: String
    public var freeThere: Int
    public init(boxId: String, occupied: Int, intoBoxId: String, freeThere: Int) {
        self.boxId = boxId; self.occupied = occupied; self.intoBoxId = intoBoxId; self.freeThere = freeThere
    }
}

/// Finding space: pure decisions over boxes given in their storage order (freezer, rack label, box label).
public enum Space {
    /// N free positions for a lot: boxes already holding the lot first; within that order, the first box with N
    /// consecutive free positions (row-major), else the first box with N free positions, else across boxes in order.
    public static func findPositions(count: Int, in boxes: [BoxSpace]) throws(DomainError) -> [Position] {
        try Validator().require(count >= 1, "count", "must be at least 1")
        let ordered = boxes.filter(\.holdsLot) + boxes.filter { !$0.holdsLot }
        let total = ordered.reduce(0) { $0 + $1.freeCount }
        guard total >= count else { throw .conflict(field: "count", rule: "storage has \(total) free positions, \(count) needed") }
        for box in ordered where box.freeCount >= count {
            if let run = contiguousRun(count, in: box) { return run }
        }
        if let box = ordered.first(where: { $0.freeCount >= count }) { return Array(box.free.prefix(count)) }
        return Array(ordered.flatMap(\.free).prefix(count))
    }

    /// The first `count` consecutive free positions of a box in row-major order, if it has them.
    static func contiguousRun(_ count: Int, in box: BoxSpace) -> [Position]? {
        var run: [Position] = []
        for r in 1...max(box.rows, 1) {
            for c in 1...max(box.columns, 1) {
                if box.taken.contains(r * 100 + c) { run.removeAll(); continue }
                run.append(Position(boxId: box.id, row: r, column: c))
                if run.count == count { return run }
            }
        }
        return nil
    }

    /// Partly used boxes whose vials would all fit into another partly used box of the same freezer: the emptiest
    /// boxes first, each paired with the fullest box that can take it; a box is proposed once, as source or target.
    public static func consolidationCandidates(_ boxes: [BoxSpace]) -> [ConsolidationCandidate] {
        let partial = boxes.filter { $0.occupied > 0 && $0.freeCount > 0 }
        var used = Set<String>()
        var out: [ConsolidationCandidate] = []
        for source in partial.sorted(by: { ($0.occupied, $0.id) < ($1.occupied, $1.id) }) where !used.contains(source.id) {
            let target = partial
                .filter { $0.id != source.id && !used.contains($0.id) && $0.freezerId == source.freezerId && $0.freeCount >= source.occupied && $0.occupied >= source.occupied }
                .min { ($0.freeCount, $0.id) < ($1.freeCount, $1.id) }
            guard let target else { continue }
            used.insert(source.id); used.insert(target.id)
            out.append(ConsolidationCandidate(boxId: source.id, occupied: source.occupied, intoBoxId: target.id, freeThere: target.freeCount))
        }
        return out
    }
}
