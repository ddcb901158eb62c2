import CryoStore
import Testing

/// The server's pools must not arm a timer each time a connection goes idle (cancelled when the connection is leased
/// again): under load those timers' memory stayed allocated and the server grew steadily (docs/performance.md, session 6).
@Suite("Connection pools")
struct PoolConfigurationTests {
    @Test("server pools open every connection and keep it, without keep-alive pings; other pools open connections as needed")
    func serverPoolsArmNoIdleTimers() throws {
        let url = try DatabaseURL(parsing: "postgres://cryoledger_app@localhost:5432/cryoledger")
        let server = url.clientConfiguration(maxConnections: 40, keepOpen: true)
        #expect(server.options.maximumConnections == 40)
        #expect(server.options.minimumConnections == 40)
        #expect(server.options.keepAliveBehavior == nil)
        let other = url.clientConfiguration(maxConnections: 10)
        #expect(other.options.minimumConnections == 0)
        #expect(other.options.maximumConnections == 10)
    }
}
