import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command with posix_spawn, its standard input from `input`, its standard output and error collected.
/// Foundation's `Process.run()` crashed inside a memcpy under load (a server with many open descriptors); this keeps
/// to what glibc guarantees: the child gets only its three pipes (everything else is closed at spawn).
/// Blocking: call it off the event loops and the cooperative pool (see `Sendmail`).
enum Spawn {
    private static let spawning = NSLock()

    /// A command that exits before reading its input must not take the server down with SIGPIPE: write returns EPIPE.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not export: the
    /// child then keeps none of the server's sockets. Without it the child inherits what is not close-on-exec.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// The exit status (nil: it could not be started or did not exit normally) and the first `limit` bytes it wrote.
    static func run(_ argv: [String], input: [UInt8], limit: Int = 500) -> (status: Int32?, output: String) {
        _ = ignoreBrokenPipes
        // Pipes are made and handed over under one lock, so no other spawn inherits them before they are closed-on-exec.
        spawning.lock()
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { spawning.unlock(); return (nil, "no pipe: errno \(errno)") }
        guard pipe(&fromChild) == 0 else { close(toChild[0]); close(toChild[1]); spawning.unlock(); return (nil, "no pipe: errno \(errno)") }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        if let closeFrom { _ = closeFrom(&actions, 3) }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid = pid_t()
        let spawned = cArgs.withUnsafeBufferPointer { args in
            posix_spawn(&pid, argv[0], &actions, nil, UnsafeMutablePointer(mutating: args.baseAddress!), environ)
        }
        close(toChild[0]); close(fromChild[1])
        spawning.unlock()
        guard spawned == 0 else {
            close(toChild[1]); close(fromChild[0])
            return (nil, "could not start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        // The message first (a few kilobytes: the pipe holds it even before the command reads), then its output.
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(toChild[1], bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        close(toChild[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fromChild[0], &buffer, buffer.count)
            if n > 0 { if output.count < limit { output += buffer[0..<min(n, limit - output.count)] } } else if n < 0 && errno == EINTR { continue } else { break }
        }
        close(fromChild[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : nil, String(decoding: output, as: UTF8.self))
    }
}
