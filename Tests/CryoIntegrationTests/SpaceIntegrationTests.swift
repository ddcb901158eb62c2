import CryoDomain
import CryoStore
import Foundation
import Testing

/// Issue 19, part 3: space.
@Suite("Storage space")
struct SpaceIntegrationTests {
    @Test("vial creation without a box places the lot where there is space, contiguous in one box; the report counts it")
    func createFindsSpace() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            try await f.lot("LOT-S1", vials: 78, box: "BOX-1")   // 3 left in BOX-1: A run of 5 is in BOX-2
            try await f.lot("LOT-S2", vials: 0, planned: 10)
            let suggested = try await f.store.findSpace(lotNumber: "LOT-S2", count: 5, freezerId: "FRZ-1", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(suggested.map(\.label) == ["BOX-2:A1", "BOX-2:A2", "BOX-2:A3", "BOX-2:A4", "BOX-2:A5"])
            let made = try await f.store.createVials(lotNumber: "LOT-S2", count: 5, boxId: nil, findSpace: true, actor: mfg, logger: Fixture.logger)
            #expect(made.compactMap(\.location?.label) == suggested.map(\.label))
            // Three more of the same lot go next to it (a box holding the lot first), not into BOX-1's last three.
            let more = try await f.store.createVials(lotNumber: "LOT-S2", count: 3, boxId: nil, findSpace: true, actor: mfg, logger: Fixture.logger)
            #expect(more.compactMap(\.location?.label) == ["BOX-2:A6", "BOX-2:A7", "BOX-2:A8"])
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.created' AND to_location LIKE 'BOX-2:%'") == 8)
            let unplaced = try await f.store.createVials(lotNumber: "LOT-S2", count: 1, boxId: nil, actor: mfg, logger: Fixture.logger)
            #expect(unplaced[0].location == nil)

            let report = try await f.store.spaceReport(freezerId: "FRZ-1", actor: f.user(.auditor), logger: Fixture.logger)
            let freezer = try #require(report.freezers.first)
            #expect(freezer.occupied == 86 && freezer.capacity == 162 && freezer.utilisation == 53.1)
            #expect(freezer.racks[0].boxes.map(\.occupied) == [78, 8])
            #expect(freezer.racks[0].boxes[0].emptyPositions == ["BOX-1:I7", "BOX-1:I8", "BOX-1:I9"])
            // BOX-1 has 3 free positions, too few for BOX-2's 8 vials; BOX-2 cannot take BOX-1's 78.
            #expect(report.consolidation.isEmpty)
        }
    }

    /// createVials answers from the rows it inserted, without reading them back: the answer must be what a read gives.
    @Test("the vials creation answers with are the vials as stored: placed in a box, placed where there is space, unplaced")
    func createAnswersAsStored() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            try await f.lot("LOT-S5", vials: 0, planned: 100)
            var made = try await f.store.createVials(lotNumber: "LOT-S5", count: 79, boxId: "BOX-1", actor: mfg, logger: Fixture.logger)
            made += try await f.store.createVials(lotNumber: "LOT-S5", count: 4, boxId: nil, findSpace: true, actor: mfg, logger: Fixture.logger)
            made += try await f.store.createVials(lotNumber: "LOT-S5", count: 2, boxId: nil, actor: mfg, logger: Fixture.logger)
            #expect(Set(made.compactMap(\.location?.boxId)) == ["BOX-1", "BOX-2"])
            #expect(made.filter { $0.location == nil }.count == 2)
            for vial in made {
                #expect(try await f.store.vial(id: vial.id, actor: mfg, logger: Fixture.logger) == vial)
            }
        }
    }

    @Test("consolidation candidates and the API")
    func api() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-S3", vials: 60, box: "BOX-1")
            try await f.lot("LOT-S4", vials: 4, box: "BOX-2")
            let token = f.tokens[.auditor]!
            let (status, report, _) = try await http.call(.get, "/storage/space?freezerId=FRZ-1", token: token)
            #expect(status == .ok)
            let candidates = report["consolidation"] as? [[String: Any]]
            #expect(candidates?.first?["boxId"] as? String == "BOX-2" && candidates?.first?["intoBoxId"] as? String == "BOX-1")
            let (found, body, _) = try await http.call(.get, "/lots/LOT-S4/free-positions?count=2", token: token)
            #expect(found == .ok && body["positions"] as? [String] == ["BOX-2:A5", "BOX-2:A6"])
            let (tooMany, problem, _) = try await http.call(.get, "/lots/LOT-S4/free-positions?count=1000", token: token)
            #expect(tooMany == .conflict && problem["field"] as? String == "count")
            let (missing, _, _) = try await http.call(.get, "/storage/space?freezerId=NOPE-1", token: token)
            #expect(missing == .notFound)
        }
    }
}
