import AsyncAlgorithms
import Logging
import Synchronization

/// A response body produced by a database read while it is being sent, that holds its connection only as long
/// as someone is reading it.
///
/// The producer is started by the first `next()` of the body's iterator, not before: a body that is never sent (the
/// response failed content negotiation, the handler's caller threw) never opens a connection. When the iterator goes
/// away (the client disconnected, the server is shutting down) or the consuming task is cancelled, the producer task is
/// cancelled and the channel finished: a pending `send` returns, the producer's next check throws `CancellationError`,
/// the query is abandoned and the connection goes back to the pool. A failing producer fails the body.
struct ExportStream: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    /// Writes the body through `send`; `send` throws `CancellationError` once nobody reads any more.
    typealias Producer = @Sendable (_ send: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void

    let logger: Logger
    let produce: Producer

    func makeAsyncIterator() -> Iterator { Iterator(logger: logger, produce: produce) }

    struct Iterator: AsyncIteratorProtocol {
        private let run: Run

        init(logger: Logger, produce: @escaping Producer) { run = Run(logger: logger, produce: produce) }

        mutating func next() async throws -> ArraySlice<UInt8>? {
            let run = self.run
            return try await withTaskCancellationHandler {
                try await run.next()
            } onCancel: {
                run.stop()
            }
        }
    }

    /// One iteration: the channel, the producer task, and their end when the iterator is released.
    final class Run: @unchecked Sendable {
        // `iterator` is used only by the single consumer (iterationBehavior .single); `producer` may be stopped from
        // another task (cancellation), so it is locked.
        private let producer = ProducerTask()
        private let channel = AsyncThrowingChannel<ArraySlice<UInt8>, any Error>()
        private let logger: Logger
        private let produce: Producer
        private var iterator: AsyncThrowingChannel<ArraySlice<UInt8>, any Error>.Iterator?

        init(logger: Logger, produce: @escaping Producer) {
            self.logger = logger
            self.produce = produce
        }

        func next() async throws -> ArraySlice<UInt8>? {
            if iterator == nil {
                iterator = channel.makeAsyncIterator()
                let channel = self.channel, produce = self.produce, logger = self.logger
                producer.start {
                    Task {
                        do {
                            try await produce { bytes in
                                try Task.checkCancellation()
                                if !bytes.isEmpty { await channel.send(bytes[...]) }
                                try Task.checkCancellation()
                            }
                            channel.finish()
                        } catch is CancellationError {
                            channel.finish()
                        } catch {
                            logger.error("streamed export failed", metadata: ["error": "\(type(of: error))"])
                            channel.fail(error)
                        }
                    }
                }
            }
            return try await iterator!.next()
        }

        /// Ends the producer (if it runs) and releases a pending send.
        func stop() {
            producer.cancel()
            channel.fail(CancellationError())
        }

        deinit { stop() }
    }
}

/// The producer task of a `Run`, started at most once, and never after it was cancelled.
final class ProducerTask: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func start(_ make: () -> Task<Void, Never>) {
        state.withLock { state in
            guard !state.cancelled, state.task == nil else { return }
            state.task = make()
        }
    }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            state.task?.cancel()
        }
    }
}
