import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` URL as libpq and psql accept it, including the socket form
/// `postgres://user@/dbname?host=/path/to/socket/dir`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String?
    public var port: Int
    public var socketDirectory: String?
    public var database: String
    /// libpq's `sslmode` for TCP connections (default `prefer`, as libpq); ignored on a Unix socket.
    public var sslMode: SSLMode = .prefer
    /// libpq's `sslrootcert`: the CA bundle for `verify-ca` and `verify-full` (default: the system's roots).
    public var sslRootCert: String?

    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public init(user: String, password: String? = nil, host: String? = nil, port: Int = 5432, socketDirectory: String? = nil, database: String) {
        self.user = user; self.password = password; self.host = host; self.port = port
        self.socketDirectory = socketDirectory; self.database = database
    }

    /// libpq's `target_session_attrs` values; with one host the server checks writability itself (the
    /// availability gate's probe asks `SHOW transaction_read_only` on `DATABASE_URL`).
    public static let targetSessionAttrs: Set<String> = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]

    public init(parsing text: String) throws {
        // libpq's multi-host form (postgres://h1:p1,h2:p2/db?target_session_attrs=read-write) is refused rather than
        // half supported: PostgresNIO's pool connects to one endpoint and cannot fail over between hosts itself.
        if let hosts = Self.multipleHosts(text) {
            throw StoreError.configuration("""
                the database URL names several hosts (\(hosts.joined(separator: ", "))): libpq's multi-host form is not \
                supported, because the connection pool reaches one endpoint. Give one endpoint that always leads to the \
                primary: a load balancer that checks Patroni's /primary (HAProxy, see deploy/ha) or CloudNativePG's -rw \
                service. During a failover the server then answers 503 with Retry-After and follows the new primary by itself.
                """)
        }
        guard let comps = URLComponents(string: text), ["postgres", "postgresql"].contains(comps.scheme ?? "") else {
            // The value itself is not repeated: it may carry a password.
            throw StoreError.configuration("DATABASE_URL must be a postgres:// URL (postgres://user:password@host:port/database)")
        }
        user = comps.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = comps.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        port = comps.port ?? 5432
        let path = comps.path.hasPrefix("/") ? String(comps.path.dropFirst()) : comps.path
        database = path.isEmpty ? user : path
        let hostParam = comps.queryItems?.first(where: { $0.name == "host" })?.value
        if let hostParam, hostParam.hasPrefix("/") {
            socketDirectory = hostParam
            host = nil
        } else {
            host = (comps.host?.isEmpty == false ? comps.host : hostParam) ?? "localhost"
            socketDirectory = nil
        }
        if let mode = comps.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = SSLMode(rawValue: mode) else {
                throw StoreError.configuration("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(mode)'")
            }
            sslMode = parsed
        }
        sslRootCert = comps.queryItems?.first(where: { $0.name == "sslrootcert" })?.value
        if let attrs = comps.queryItems?.first(where: { $0.name == "target_session_attrs" })?.value, !Self.targetSessionAttrs.contains(attrs) {
            throw StoreError.configuration("target_session_attrs must be one of \(Self.targetSessionAttrs.sorted().joined(separator: ", ")), got '\(attrs)'")
        }
    }

    /// The hosts of a URL whose authority lists more than one (`h1:p1,h2:p2`), nil otherwise. The user and
    /// password are left out: they may contain anything and must not reach an error message.
    static func multipleHosts(_ text: String) -> [String]? {
        guard let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let hostPart = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        let hosts = hostPart.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return hosts.count > 1 ? hosts : nil
    }

    /// The same server, another database (used by tests to create one database per suite).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    public var description: String {
        var userPart = user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
        if let password { userPart += ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password) }
        if let socketDirectory {
            return "postgres://\(userPart)@/\(database)?host=\(socketDirectory)&port=\(port)"
        }
        var text = "postgres://\(userPart)@\(host ?? "localhost"):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
        if let sslRootCert { text += "&sslrootcert=\(sslRootCert)" }
        return text
    }

    /// The TLS settings libpq would use for `sslmode`: `prefer` and `require` encrypt without checking the
    /// certificate (as libpq does without a root certificate), `verify-ca` checks the chain, `verify-full` the host name too.
    /// nil: no TLS; `required`: refuse a server without it.
    func tlsSettings() -> (configuration: TLSConfiguration, required: Bool)? {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCert { tls.trustRoots = .file(sslRootCert) }
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer: tls.certificateVerification = .none; return (tls, false)
        case .require: tls.certificateVerification = .none; return (tls, true)
        case .verifyCA: tls.certificateVerification = .noHostnameVerification; return (tls, true)
        case .verifyFull: return (tls, true)
        }
    }

    func tls() -> PostgresClient.Configuration.TLS {
        guard let (configuration, required) = tlsSettings() else { return .disable }
        return required ? .require(configuration) : .prefer(configuration)
    }

    /// With `keepOpen` (the server's pools), all `maxConnections` are opened at start and kept, and idle connections are
    /// not pinged: the pool then never arms a timer when a connection goes idle. Otherwise it arms two (idle time-out and
    /// keep-alive), each a task sleeping on a Dispatch timer, and cancels them when the connection is leased again; under
    /// load their memory stayed allocated (heaptrack: 98,048 still live for 51,024 requests) and RSS grew about 2.5 MB a
    /// minute (docs/performance.md, session 6). A connection the server closes is replaced as before.
    public func clientConfiguration(maxConnections: Int = 20, keepOpen: Bool = false) -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if let socketDirectory {
            config = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            config = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: tls())
        }
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = keepOpen ? maxConnections : 0
        if keepOpen { config.options.keepAliveBehavior = nil }
        config.options.connectTimeout = .seconds(5)
        return config
    }

    /// The same endpoint for a single connection (the availability probe), with the same TLS settings.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socketDirectory {
            return .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        var tls = PostgresConnection.Configuration.TLS.disable
        if let (configuration, required) = tlsSettings() {
            let context = try NIOSSLContext(configuration: configuration)
            tls = required ? .require(context) : .prefer(context)
        }
        return .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: tls)
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case configuration(String)
    case migration(String)
    case embedded(String)
    /// The database sent something a reader did not expect (a column type, a column count).
    case unexpectedData(String)

    public var description: String {
        switch self {
        case .configuration(let m), .migration(let m), .embedded(let m), .unexpectedData(let m): return m
        }
    }
}
