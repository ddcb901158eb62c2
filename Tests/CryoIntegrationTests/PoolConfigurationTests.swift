import CryoStore
import Testing

/// The server's pools must not arm a timer each time a connection goes idle: the pool cancels it when the connection is
/// leased again, and every cancelled `Task.sleep` leaks about 1.5 KB on Swift 6.3 for Linux (docs/performance.md).
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
