import CryoDomain
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends a ZPL job to a label printer over raw TCP (port 9100 by default): connect, write every byte, close.
/// Label printers answer nothing on this port, so "sent" means the printer's TCP stack took every byte.
/// A printer that does not accept the connection, or stops taking bytes, within `timeout` is reported in words.
public enum LabelPrinter {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func send(_ job: String, to address: LabelPrinterAddress, timeout: Duration = .seconds(5)) async throws {
        let bytes = Array(job.utf8)
        let millis = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            // Blocking socket calls, each bounded by the timeout, on a thread of their own rather than the caller's executor.
            Thread.detachNewThread {
                do {
                    try sendBlocking(bytes, host: address.host, port: address.port, timeoutMillis: millis)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func sendBlocking(_ bytes: [UInt8], host: String, port: Int, timeoutMillis: Int32) throws {
        let seconds = Double(timeoutMillis) / 1000
        let within = seconds == 1 ? "1 second" : seconds == seconds.rounded() ? "\(Int(seconds)) seconds" : String(format: "%.1f seconds", seconds)
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(description: "the printer's host name \(host) cannot be resolved")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure(description: "no socket can be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        // Connect without blocking, then wait for it at most the timeout.
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                throw Failure(description: "the printer at \(host):\(port) refused the connection (\(String(cString: strerror(errno))))")
            }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, timeoutMillis)
            guard ready > 0 else { throw Failure(description: "the printer at \(host):\(port) did not answer within \(within)") }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                throw Failure(description: "the printer at \(host):\(port) refused the connection (\(String(cString: strerror(error))))")
            }
        }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK else {
                throw Failure(description: "the printer at \(host):\(port) closed the connection after \(sent) of \(bytes.count) bytes")
            }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, timeoutMillis) > 0 else {
                throw Failure(description: "the printer at \(host):\(port) stopped taking the job after \(sent) of \(bytes.count) bytes (nothing for \(within))")
            }
        }
        shutdown(fd, Int32(SHUT_WR))
    }
}
