/// A storage container named by its level: `box:BOX-1`, `rack:FRZ-1-R1`, `freezer:FRZ-1`.
public struct StorageRef: Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, CaseIterable, Codable { case box, rack, freezer }
    public var level: Level
    public var id: String
    public init(level: Level, id: String) { self.level = level; self.id = id }

    /// "freezer:FRZ-1" (the form the CLI and the console take).
    public init(parsing text: String, field: String) throws(DomainError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let level = Level(rawValue: parts[0]) else {
            throw .invalid(field: field, rule: "must be box:ID, rack:ID or freezer:ID")
        }
        try StorageID.validate(parts[1], field: field)
        self.init(level: level, id: parts[1])
    }

    public var description: String { "\(level.rawValue) \(id)" }
}

/// How an evacuation chooses target positions.
public enum EvacuationMode: String, Sendable, CaseIterable, Codable {
    /// Into a target of the same geometry, each vial to the position it had (racks and boxes paired in label order).
    case samePositions = "same-positions"
    /// Into the target's free positions: earliest expiry first (FEFO), each lot's vials together.
    case freePositions = "free-positions"
}

/// A box as evacuation planning sees it: its place in its container (rack label, then box label) and its geometry.
public struct PlanningBox: Sendable, Equatable {
    public var id: String
    public var rackLabel: String
    public var label: String
    public var rows: Int
    public var columns: Int
    public init(id: String, rackLabel: String, label: String, rows: Int, columns: Int) {
        self.id = id; self.rackLabel = rackLabel; self.label = label; self.rows = rows; self.columns = columns
    }
}

/// A vial in the source, with why it may not move (nil when it may).
public struct PlanningVial: Sendable, Equatable {
    public var id: String
    public var lotNumber: String
    public var expiresOn: String
    public var position: Position
    public var cannotMove: String?
    public init(id: String, lotNumber: String, expiresOn: String, position: Position, cannotMove: String? = nil) {
        self.id = id; self.lotNumber = lotNumber; self.expiresOn = expiresOn; self.position = position; self.cannotMove = cannotMove
    }
}

public struct EvacuationMove: Sendable, Equatable, Codable {
    public var vialId: String
    public var lotNumber: String
    public var from: String
    public var to: String
    public var toBox: String
    public var toRow: Int
    public var toColumn: Int
}

/// The evacuation rule: every vial of the source moves, or none does. Pure: the store hands it the source's
/// vials, both containers' boxes (in rack label, box label order) and the target's occupied positions.
public enum Evacuation {
    public static func plan(source: StorageRef, target: StorageRef, mode: EvacuationMode, vials: [PlanningVial],
                            sourceBoxes: [PlanningBox], targetBoxes: [PlanningBox],
                            occupied: [Position: String]) throws(DomainError) -> [EvacuationMove] {
        guard !vials.isEmpty else { throw .conflict(field: "source", rule: "\(source) holds no vial; there is nothing to evacuate") }
        let targetIds = Set(targetBoxes.map(\.id))
        if let shared = sourceBoxes.first(where: { targetIds.contains($0.id) }) {
            throw .invalid(field: "target", rule: "\(target) overlaps \(source) (box \(shared.id)); the target must be another container")
        }
        // Source order: box order, then row-major; the first vial that may not move is named.
        let boxOrder = Dictionary(uniqueKeysWithValues: sourceBoxes.enumerated().map { ($1.id, $0) })
        let ordered = vials.sorted {
            (boxOrder[$0.position.boxId] ?? .max, $0.position.row, $0.position.column) < (boxOrder[$1.position.boxId] ?? .max, $1.position.row, $1.position.column)
        }
        if let stuck = ordered.first(where: { $0.cannotMove != nil }) {
            throw .conflict(field: "source", rule: "vial \(stuck.id) at \(stuck.position.label) may not move: \(stuck.cannotMove!)")
        }
        switch mode {
        case .samePositions:
            return try samePositions(source: source, target: target, vials: ordered, sourceBoxes: sourceBoxes, targetBoxes: targetBoxes, occupied: occupied)
        case .freePositions:
            return try freePositions(target: target, vials: ordered, targetBoxes: targetBoxes, occupied: occupied)
        }
    }

    static func samePositions(source: StorageRef, target: StorageRef, vials: [PlanningVial], sourceBoxes: [PlanningBox],
                              targetBoxes: [PlanningBox], occupied: [Position: String]) throws(DomainError) -> [EvacuationMove] {
        guard source.level == target.level else {
            throw .invalid(field: "target", rule: "same-positions needs a target of the same level as the source (a \(source.level.rawValue))")
        }
        // Racks pair by their rank in label order, boxes by their rank within the rack.
        func shape(_ boxes: [PlanningBox]) -> [[PlanningBox]] {
            var racks: [[PlanningBox]] = []
            var last: String?
            for b in boxes {
                if b.rackLabel != last { racks.append([]); last = b.rackLabel }
                racks[racks.count - 1].append(b)
            }
            return racks
        }
        let s = shape(sourceBoxes), t = shape(targetBoxes)
        var pair: [String: PlanningBox] = [:]
        for (ri, rack) in s.enumerated() {
            for (bi, box) in rack.enumerated() {
                guard ri < t.count, bi < t[ri].count else {
                    throw .conflict(field: "target", rule: "\(target) has a different geometry: no box matches box \(box.id) (rack \(ri + 1), box \(bi + 1))")
                }
                let other = t[ri][bi]
                guard other.rows == box.rows, other.columns == box.columns else {
                    throw .conflict(field: "target", rule: "\(target) has a different geometry: box \(other.id) is \(other.rows)×\(other.columns), box \(box.id) is \(box.rows)×\(box.columns)")
                }
                pair[box.id] = other
            }
        }
        var moves: [EvacuationMove] = []
        moves.reserveCapacity(vials.count)
        for v in vials {
            let box = pair[v.position.boxId]!
            let to = Position(boxId: box.id, row: v.position.row, column: v.position.column)
            if let there = occupied[to] {
                throw .conflict(field: "target", rule: "position \(to.label) already holds vial \(there); the target is not free")
            }
            moves.append(move(v, to))
        }
        return moves
    }

    static func freePositions(target: StorageRef, vials: [PlanningVial], targetBoxes: [PlanningBox],
                              occupied: [Position: String]) throws(DomainError) -> [EvacuationMove] {
        var free: [Position] = []
        for b in targetBoxes {
            for r in 1...max(b.rows, 1) { for c in 1...max(b.columns, 1) {
                let p = Position(boxId: b.id, row: r, column: c)
                if occupied[p] == nil { free.append(p) }
            } }
        }
        guard free.count >= vials.count else {
            throw .conflict(field: "target", rule: "\(target) has \(free.count) free positions, \(vials.count) needed")
        }
        // FEFO: the lot expiring first fills first; a lot's vials stay together, in their source order.
        let fefo = vials.enumerated().sorted { ($0.element.expiresOn, $0.element.lotNumber, $0.offset) < ($1.element.expiresOn, $1.element.lotNumber, $1.offset) }
        return zip(fefo.map(\.element), free).map { move($0, $1) }
    }

    static func move(_ v: PlanningVial, _ to: Position) -> EvacuationMove {
        EvacuationMove(vialId: v.id, lotNumber: v.lotNumber, from: v.position.label, to: to.label, toBox: to.boxId, toRow: to.row, toColumn: to.column)
    }
}
