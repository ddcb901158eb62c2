import AllocationOptimizer
import Foundation
import Testing

@Suite("Instance writer")
struct InstanceWriterTests {
    @Test("a typed instance written as FORMAT.md v1 reads back the same, and writes the same bytes again")
    func roundTrip() throws {
        let inst = Fixture.instance(lots: [Fixture.lot("L1"), Fixture.lot("L2")],
                                    demands: [Fixture.demand("P1"), Fixture.demand("C#1", kind: .slot)], cohortLots: .hard)
        let json = try AllocationInstanceWriter.json(inst)
        let back = try AllocationInstanceParser.parse(json)
        #expect(back.lots.map(\.id) == ["L1", "L2"] && back.demands.map(\.kind) == [.patient, .slot] && back.policy.cohortLots == .hard)
        #expect(try AllocationInstanceWriter.json(back) == json)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix("{\"asOf\":") && text.contains("\"format\":\"cryoledger.allocation/v1\""))
    }
}
