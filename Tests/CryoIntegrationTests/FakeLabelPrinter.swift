import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A label printer for the tests: listens on 127.0.0.1 at an ephemeral port, takes one connection, reads the job
/// to the end and keeps it. It answers nothing, as raw port 9100 printers do.
final class FakeLabelPrinter: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var jobs: [String] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    data += buffer[0..<n]
                }
                close(client)
                lock.withLock { jobs.append(String(decoding: data, as: UTF8.self)) }
            }
        }
    }

    var address: String { "127.0.0.1:\(port)" }

    /// The jobs received so far, waiting up to five seconds for the first.
    func received() async throws -> [String] {
        for _ in 0..<100 {
            let got = lock.withLock { jobs }
            if !got.isEmpty { return got }
            try await Task.sleep(for: .milliseconds(50))
        }
        return []
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

/// A port on 127.0.0.1 nobody listens on: bound, then closed, so a connection to it is refused.
func closedLocalPort() -> Int {
    let printer = try! FakeLabelPrinter()
    printer.stop()
    return printer.port
}

/// A printer that never answers: a listening socket that accepts nobody, its queue filled, so a further connection's
/// SYN is dropped and the connect waits (Linux keeps backlog + 1 connections pending).
final class SilentLabelPrinter: @unchecked Sendable {
    let port: Int
    private var fds: [Int32] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 0) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        fds.append(fd)
        // Fill the accept queue with connections that are never accepted.
        for _ in 0..<2 {
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL, 0) | O_NONBLOCK)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, length) } }
            fds.append(c)
        }
        usleep(200_000)
    }

    func stop() { fds.forEach { close($0) } }
}
