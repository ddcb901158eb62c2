import CryoDomain
import Testing

/// Space.findPositions and Space.consolidationCandidates decided without a database.
@Suite("Finding space")
struct SpaceTests {
    func box(_ id: String, taken: [Int], lot: Bool = false, freezer: String = "F1") -> BoxSpace {
        BoxSpace(id: id, freezerId: freezer, rows: 3, columns: 3, taken: Set(taken), holdsLot: lot)
    }

    @Test("contiguous in one box when possible; boxes holding the lot first; else one box, else across boxes")
    func find() throws {
        // B1 has 4 free positions but no run of 3; B2 has a run of 3 from A2 (B1 is skipped).
        let b1 = box("B1", taken: [102, 201, 203, 302, 303])
        let b2 = box("B2", taken: [101])
        #expect(try Space.findPositions(count: 3, in: [b1, b2]).map(\.label) == ["B2:A2", "B2:A3", "B2:B1"])
        // A box already holding the lot comes first.
        #expect(try Space.findPositions(count: 2, in: [b2, box("B3", taken: [101], lot: true)]).map(\.label) == ["B3:A2", "B3:A3"])
        // No run of 4 anywhere: the first box with 4 free positions.
        #expect(try Space.findPositions(count: 4, in: [b1, box("B4", taken: [102, 202, 302])]).map(\.label) == ["B1:A1", "B1:A3", "B1:B2", "B1:C1"])
        // Across boxes when no box has room.
        #expect(try Space.findPositions(count: 6, in: [b1, box("B5", taken: [101, 102, 103, 201, 202, 203, 301])]).count == 6)
        #expect(throws: DomainError.conflict(field: "count", rule: "storage has 4 free positions, 5 needed")) {
            _ = try Space.findPositions(count: 5, in: [b1])
        }
    }

    @Test("consolidation: the emptiest box into the fullest box of the same freezer that has room")
    func consolidation() {
        let boxes = [box("B1", taken: [101, 102]), box("B2", taken: [101, 102, 103, 201, 202, 203, 301]), box("B3", taken: [101]),
                     box("B4", taken: [101], freezer: "F2"), box("B5", taken: [])]
        #expect(Space.consolidationCandidates(boxes) == [ConsolidationCandidate(boxId: "B3", occupied: 1, intoBoxId: "B2", freeThere: 2)])
    }
}
