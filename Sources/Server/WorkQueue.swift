// MARK: - At most N requests at work, a bounded queue behind them, each on its own thread

import CharRNN
import Dispatch
import Synchronization

/// Hands out the worker slots: at most `slots` requests run at once, up to `queueLimit` wait in
/// arrival order, and one more is refused (503) rather than queued without bound.
actor WorkQueue {
    private var free: [Int]
    private var waiting: [CheckedContinuation<Int, Never>] = []
    private let queueLimit: Int

    /// Counters for `GET /healthz`.
    private(set) var running = 0
    private(set) var served = 0
    private(set) var refused = 0
    private(set) var cancelled = 0

    init(slots: Int, queueLimit: Int) {
        free = Array((0..<slots).reversed())
        self.queueLimit = queueLimit
    }

    /// Waiting requests.
    var queued: Int { waiting.count }

    /// A free slot, after waiting in line if none is free; nil when the line is full.
    func acquire() async -> Int? {
        if let slot = free.popLast() {
            running += 1
            return slot
        }
        guard waiting.count < queueLimit else {
            refused += 1
            return nil
        }
        let slot = await withCheckedContinuation { waiting.append($0) }
        running += 1
        return slot
    }

    /// Gives a slot back: to the first request in line, or to the free list.
    func release(_ slot: Int, cancelled wasCancelled: Bool) {
        running -= 1
        served += 1
        if wasCancelled { cancelled += 1 }
        if waiting.isEmpty {
            free.append(slot)
        } else {
            waiting.removeFirst().resume(returning: slot)
        }
    }
}

/// Runs `work` on a thread of its own (model work is long and CPU-bound; it must not hold
/// one of the few threads Swift's concurrency and the server's event loops share).
func onWorkerThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// The cancellation tokens of the requests at work, so that a shutdown can stop them all.
final class InFlight: Sendable {
    private let state = Mutex<(tokens: [ObjectIdentifier: CancellationToken], closed: Bool)>(([:], false))

    /// A token for a new request; already cancelled once the server is shutting down.
    func begin() -> CancellationToken {
        let token = CancellationToken()
        state.withLock {
            if $0.closed { token.cancel() } else { $0.tokens[ObjectIdentifier(token)] = token }
        }
        return token
    }

    /// Forgets a finished request's token.
    func end(_ token: CancellationToken) { _ = state.withLock { $0.tokens.removeValue(forKey: ObjectIdentifier(token)) } }

    /// Cancels every request at work and every later one.
    func cancelAll() {
        let tokens = state.withLock {
            $0.closed = true
            return Array($0.tokens.values)
        }
        for token in tokens { token.cancel() }
    }
}
