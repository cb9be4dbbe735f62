// The Training module: batching a corpus, the training loop, and evaluation. It reports through
// return values and callbacks, never by printing.

// MARK: - char-rnn batching: B parallel streams × T steps

/// Cuts a stream of token ids into B equal parallel streams and serves T steps of each at a time,
/// as char-rnn does: batch k holds, for each stream s, tokens [s·L + kT, s·L + kT + T) as input
/// and the same shifted by one as targets, where L = ⌊(N − 1) / B⌋ is the stream length. The
/// hidden state of stream s is carried from batch k to k + 1; an epoch is ⌊L / T⌋ batches,
/// and the state is reset when a new epoch starts.
public struct TextBatcher: Sendable {
    public let tokens: [Int32]
    public let batch: Int, steps: Int
    /// Tokens per stream.
    public let streamLength: Int
    /// Batches per epoch.
    public let batchesPerEpoch: Int
    /// The next batch's index within the epoch.
    public var position = 0
    /// Completed epochs.
    public var epoch = 0

    /// - Throws: `TrainingError.corpusTooSmall` when the text cannot fill one batch.
    public init(tokens: [Int32], batch: Int, steps: Int) throws(TrainingError) {
        self.tokens = tokens
        self.batch = batch
        self.steps = steps
        streamLength = max(tokens.count - 1, 0) / batch
        batchesPerEpoch = streamLength / steps
        guard batchesPerEpoch >= 1 else {
            throw .corpusTooSmall(tokens: tokens.count, needed: batch * steps + 1)
        }
    }

    /// Whether the next batch starts an epoch (the carried hidden state must be reset).
    public var atEpochStart: Bool { position == 0 }

    /// The next batch: inputs and targets, each T × B (step-major), and whether it starts an epoch.
    public mutating func next() -> (inputs: [Int32], targets: [Int32], startsEpoch: Bool) {
        let startsEpoch = position == 0
        var inputs = [Int32](repeating: 0, count: steps * batch)
        var targets = inputs
        for s in 0..<batch {
            let start = s * streamLength + position * steps
            for t in 0..<steps {
                inputs[t * batch + s] = tokens[start + t]
                targets[t * batch + s] = tokens[start + t + 1]
            }
        }
        position += 1
        if position == batchesPerEpoch {
            position = 0
            epoch += 1
        }
        return (inputs, targets, startsEpoch)
    }
}

/// Why training cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The text has fewer tokens than one batch needs.
    case corpusTooSmall(tokens: Int, needed: Int)
    /// The loss became NaN or infinite at a step.
    case divergence(step: Int)
    /// A saved state (order, optimizer moments) does not fit the trainer.
    case stateMismatch

    public var description: String {
        switch self {
        case .corpusTooSmall(let tokens, let needed):
            return "the corpus has \(tokens) tokens but one batch needs \(needed); "
                + "use a longer text or smaller --batch-size / --seq-length"
        case .divergence(let step):
            return "the loss became NaN or infinite at step \(step); lower --lr or --clip"
        case .stateMismatch:
            return "the saved training state does not fit the model and data; start over without --resume"
        }
    }
}
