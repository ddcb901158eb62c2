import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

/// Users of every role, and a small inventory: a product, an eligible donor, a site, a freezer with a rack and a box.
struct Fixture: Sendable {
    let store: Store
    let client: PostgresClient
    let users: [Role: Principal]
    let tokens: [Role: String]
    static let qaPassword = "qa-signing-password-1"
    static let logger = TestDatabase.logger

    func user(_ role: Role) -> Principal { users[role]! }

    static func make(_ client: PostgresClient) async throws -> Fixture {
        let store = Store(client: client)
        var users: [Role: Principal] = [:], tokens: [Role: String] = [:]
        for role in Role.allCases {
            let issued = try await store.createUser(name: "Test \(role.rawValue)", role: role,
                                                    password: role == .qa ? qaPassword : ([.pharmacy, .clinical].contains(role) ? pharmacyPassword : nil), logger: logger)
            users[role] = issued.user
            tokens[role] = issued.token
        }
        let f = Fixture(store: store, client: client, users: users, tokens: tokens)
        try await f.seedInventory()
        return f
    }

    func seedInventory() async throws {
        let qa = user(.qa), mfg = user(.manufacturing)
        _ = try await store.createProduct(
            ProductRecord(code: "ALLO-501", name: "ALLO-501", shelfLifeDays: 365, storageCondition: "LN2 vapour", storageMaxCelsius: -135,
                          thawToInfusionMinutes: 30, specification: [SpecTest(code: "viability", name: "Viability", kind: "numeric", unit: "%", min: 70)]),
            effectiveFrom: CalendarDay("2025-01-01")!, actor: qa, logger: Self.logger)
        _ = try await store.registerDonor(DonorRegistration(code: "DN-000001", eligibility: .eligible,
                                                            screeningTests: [ScreeningTest(test: "HIV-1/2 NAT", result: "non-reactive", testedOn: CalendarDay("2025-12-01")!)],
                                                            hla: ["A*02:01", "A*24:02", "B*07:02"]), actor: mfg, logger: Self.logger)
        try await store.createSite(code: "SSF", name: "SSF", kind: .manufacturing, actor: mfg, logger: Self.logger)
        try await store.createFreezer(id: "FRZ-1", siteCode: "SSF", kind: .ln2Dewar, name: "Dewar 1", maxCelsius: -150, actor: mfg, logger: Self.logger)
        try await store.createRack(id: "FRZ-1-R1", freezerId: "FRZ-1", label: "R1", actor: mfg, logger: Self.logger)
        try await store.createBox(id: "BOX-1", rackId: "FRZ-1-R1", label: "B1", rows: 9, columns: 9, actor: mfg, logger: Self.logger)
        try await store.createBox(id: "BOX-2", rackId: "FRZ-1-R1", label: "B2", rows: 9, columns: 9, actor: mfg, logger: Self.logger)
    }

    @discardableResult
    func lot(_ number: String, vials: Int = 0, box: String? = nil, planned: Int = 100) async throws -> [VialRecord] {
        _ = try await store.registerLot(LotRegistration(lotNumber: number, productCode: "ALLO-501", donorCode: "DN-000001",
                                                        manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: nil, cellsPerVial: 40_000_000,
                                                        plannedVials: planned), actor: user(.manufacturing), logger: Self.logger)
        guard vials > 0 else { return [] }
        return try await store.createVials(lotNumber: number, count: vials, boxId: box, actor: user(.manufacturing), logger: Self.logger)
    }

    func count(_ sql: String) async throws -> Int {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger).decode(Int.self).rows().first ?? -1
    }
}

/// A fixture over a fresh database, with the HTTP router under test.
func withApp(_ body: @Sendable @escaping (Fixture, any TestClientProtocol) async throws -> Void) async throws {
    try await TestDatabase.withDatabase { client, _ in
        let fixture = try await Fixture.make(client)
        let router = try buildRouter(store: fixture.store, auditKey: AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8)))
        let app = Application(router: router, logger: TestDatabase.logger)
        try await app.test(.router) { http in try await body(fixture, http) }
    }
}

func withFixture(_ body: @Sendable (Fixture) async throws -> Void) async throws {
    try await TestDatabase.withDatabase { client, _ in try await body(try await Fixture.make(client)) }
}

extension TestClientProtocol {
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil) async throws -> (HTTPResponse.Status, [String: Any], String) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        let body = json.map { ByteBuffer(string: $0) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            if response.status.code >= 400 {
                #expect(response.headers[.contentType] == "application/problem+json", "error without problem+json: \(text)")
            }
            #expect(response.status.code < 500, "server error: \(text)")
            return (response.status, object, text)
        }
    }
}

extension AsyncSequence {
    func rows() async throws -> [Element] {
        var out: [Element] = []
        for try await e in self { out.append(e) }
        return out
    }
}
