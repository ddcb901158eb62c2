import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// The console's work lists read from a real database: each queue lists exactly the work waiting, for the roles
/// that may do it.
@Suite("Work lists", .serialized)
struct WorkListTests {
    func queue(_ f: Fixture, _ role: Role, _ q: WorkQueue) async throws -> [WorkItem] {
        let list = try await f.store.workList(actor: f.user(role), logger: Fixture.logger)
        return try #require(list.first { $0.queue == q }?.items, "\(role) has no queue \(q)")
    }

    @Test("manufacturing: lots in process, vials not in storage, boxes nearly full")
    func manufacturing() async throws {
        try await withFixture { f in
            try await f.lot("L-IP", vials: 3)
            try await f.lot("L-FULL", vials: 75, box: "BOX-1", planned: 80)
            let inProcess = try await queue(f, .manufacturing, .lotsInProcess)
            #expect(inProcess.map(\.subject) == ["L-FULL", "L-IP"])
            #expect(inProcess.first { $0.subject == "L-IP" }.map { ($0.count, $0.total) } ?? (0, 0) == (3, 100))
            let unplaced = try await queue(f, .manufacturing, .vialsUnplaced)
            #expect(unplaced.map(\.subject) == ["L-IP"] && unplaced.first?.count == 3)
            // BOX-1 has 6 free places of 81 (listed); BOX-2 is empty (not listed).
            let boxes = try await queue(f, .manufacturing, .boxesNearlyFull)
            #expect(boxes.map(\.subject) == ["BOX-1"] && boxes.first?.count == 75 && boxes.first?.total == 81)
        }
    }

    @Test("QC: lots awaiting results name the missing tests; QA: ready once every test is recorded, and holds to review")
    func release() async throws {
        try await withFixture { f in
            try await f.lot("L-Q", vials: 2, box: "BOX-1")
            _ = try await f.store.transitionLot(number: "L-Q", to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
            let awaiting = try await queue(f, .qc, .lotsAwaitingResults)
            #expect(awaiting.map(\.subject) == ["L-Q"] && awaiting.first?.note == "Viability")
            #expect(try await queue(f, .qa, .lotsReadyForDisposition).isEmpty)
            _ = try await f.store.recordQcResult(lotNumber: "L-Q", QcResultInput(testCode: "viability", numericValue: 91, unit: "%", method: "flow", analyst: "A. Analyst"),
                                                 actor: f.user(.qc), logger: Fixture.logger)
            #expect(try await queue(f, .qc, .lotsAwaitingResults).isEmpty)
            #expect(try await queue(f, .qa, .lotsReadyForDisposition).map(\.subject) == ["L-Q"])
            _ = try await f.store.placeHold(on: .lot, id: "L-Q", reason: "deviation DR-7 under review", actor: f.user(.qa), logger: Fixture.logger)
            let holds = try await queue(f, .qa, .holdsToReview)
            #expect(holds.map(\.subject) == ["lot L-Q"] && holds.first?.note == "deviation DR-7 under review")
        }
    }

    @Test("admin: locked users, and active users without a sign-in for 90 days; a role cannot read another's queue")
    func admin() async throws {
        try await withFixture { f in
            #expect(try await queue(f, .admin, .lockedUsers).isEmpty)
            #expect(try await queue(f, .admin, .usersIdle).isEmpty)
            let qc = f.user(.qc).id, qa = f.user(.qa).id
            _ = try await f.client.query("UPDATE app_user SET locked_at = now() WHERE id = \(qc)", logger: Fixture.logger)
            _ = try await f.client.query("UPDATE app_user SET created_at = now() - interval '100 days' WHERE id = \(qa)", logger: Fixture.logger)
            #expect(try await queue(f, .admin, .lockedUsers).map(\.subject) == [f.user(.qc).name])
            let idle = try await queue(f, .admin, .usersIdle)
            #expect(idle.map(\.subject) == [f.user(.qa).name] && idle.first?.day == nil)
            // The work list holds only the role's own queues.
            for role in Role.allCases {
                let queues = try await f.store.workList(actor: f.user(role), logger: Fixture.logger).map(\.queue)
                #expect(queues == WorkQueue.queues(for: role))
            }
        }
    }
}
