// MARK: - The language-model training loop and evaluation

import Dispatch
import Model
import Tensor

/// Training settings for a language model; stored with the model so a run can be repeated.
public struct TrainingSettings: Codable, Equatable, Sendable {
    /// Parallel streams per batch (B).
    public var batchSize = 32
    /// Steps of backpropagation through time per batch (T).
    public var sequenceLength = 64
    /// The update rule and its constants.
    public var optimizer = OptimizerSettings()
    /// Gradient limit: a global norm of 5 by default, as char-rnn's.
    public var clipping = GradientClipping.globalNorm(5)
    /// Learning-rate decay (none by default).
    public var schedule = LearningRateSchedule()
    /// Threads the batch is split across; results depend on it (sums in a different order).
    public var threads = 1
    /// The seed of the initial weights.
    public var seed: UInt64 = 0
    /// Dropout between stacked layers (PyTorch's `dropout`): 0 for none.
    public var dropout: Float = 0
    /// Names trainers: how each mini-batch's examples are drawn.
    public var sampling = ExampleSampling.shuffled

    public init() {}

    /// The dropout of update `step` on thread share `part`: masks drawn from the seed, the step
    /// and the share, so a run (and a resumed run) repeats exactly; nil without dropout.
    public func dropout(step: Int, part: Int) -> Dropout? {
        guard dropout > 0 else { return nil }
        var rng = SeededGenerator(seed: seed ^ 0xD509_0C7A_11E5_0000 ^ (UInt64(step) << 8) ^ UInt64(part))
        return Dropout(probability: dropout, seed: rng.next())
    }

    private enum CodingKeys: String, CodingKey {
        case batchSize, sequenceLength, optimizer, clipping, schedule, threads, seed, dropout, sampling
    }

    /// Reads settings stored before `dropout` existed as settings without dropout.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        sequenceLength = try c.decode(Int.self, forKey: .sequenceLength)
        optimizer = try c.decode(OptimizerSettings.self, forKey: .optimizer)
        clipping = try c.decode(GradientClipping.self, forKey: .clipping)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        threads = try c.decode(Int.self, forKey: .threads)
        seed = try c.decode(UInt64.self, forKey: .seed)
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
        sampling = try c.decodeIfPresent(ExampleSampling.self, forKey: .sampling) ?? .shuffled
    }
}

/// Trains a `RecurrentNetwork` as a language model on batches from a `TextBatcher`.
///
/// With `threads` > 1 the B streams are split into that many groups, each run forward and
/// backward on its own thread with its own activations and gradients; the gradients are summed
/// in a fixed order, so a run is reproducible for a given thread count.
public final class LanguageModelTrainer: TrainingObjective {
    public let network: RecurrentNetwork
    public let settings: TrainingSettings
    public let optimizer: Optimizer
    public var batcher: TextBatcher
    /// The held-out text, scored by `validationLoss()` (empty: nothing held out).
    public var validation: [Int32] = []
    private let groups: [Group]
    private let gradients: FloatBuffer

    /// One thread's share of the batch.
    private final class Group: @unchecked Sendable {
        let streams: Range<Int>
        let workspace: Workspace
        let state: HiddenState
        let gradients: FloatBuffer
        var loss = 0.0
        init(streams: Range<Int>, shape: NetworkShape, steps: Int, gradients: FloatBuffer) {
            self.streams = streams
            workspace = Workspace(shape: shape, batch: streams.count, steps: steps)
            state = HiddenState(shape: shape, batch: streams.count)
            self.gradients = gradients
        }
    }

    public init(network: RecurrentNetwork, settings: TrainingSettings, batcher: TextBatcher) {
        self.network = network
        self.settings = settings
        self.batcher = batcher
        optimizer = Optimizer(settings.optimizer, count: network.parameterCount)
        gradients = FloatBuffer(count: network.parameterCount)
        let b = settings.batchSize
        let threads = max(1, min(settings.threads, b))
        groups = (0..<threads).map { g in
            let streams = (g * b / threads)..<((g + 1) * b / threads)
            return Group(streams: streams, shape: network.shape, steps: settings.sequenceLength,
                         gradients: g == 0 ? FloatBuffer(count: 0) : FloatBuffer(count: network.parameterCount))
        }
    }

    /// Updates made so far.
    public var step: Int { optimizer.step }
    public var stepsPerEpoch: Int { batcher.batchesPerEpoch }
    public var scheduledLearningRate: Float { settings.schedule.rate(settings.optimizer.learningRate, step: optimizer.step) }

    /// One training step on the next batch at the scheduled learning rate; returns the batch's
    /// mean loss in nats per token.
    @discardableResult
    public func trainStep() throws(TrainingError) -> Double { try trainStep(rateScale: 1).loss }

    /// Validation loss of the current weights (nats per token), or nil without validation text.
    public func validationLoss() -> Double? { validationLoss(cancel: CancellationToken()) }

    /// Validation loss of the current weights, or nil when cancelled on the way.
    public func validationLoss(cancel: CancellationToken) -> Double? {
        guard validation.count > 1 else { return nil }
        return Training.validationLoss(network, tokens: validation, batch: settings.batchSize, steps: settings.sequenceLength,
                                       cancel: cancel)
    }

    /// One training step on the next batch, at the scheduled learning rate times `rateScale`;
    /// returns the batch's mean loss in nats per token and its B·T tokens.
    ///
    /// - Throws: `TrainingError.divergence` when the loss is not finite (the weights are then
    ///   left as they were before the step).
    public func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int) {
        let (inputs, targets, startsEpoch) = batcher.next()
        let b = settings.batchSize, t = settings.sequenceLength
        let scale = 1 / Float(b * t)
        gradients.zero()
        let groups = self.groups, network = self.network, sum = self.gradients
        let settings = self.settings, step = optimizer.step
        DispatchQueue.concurrentPerform(iterations: groups.count) { index in
            let group = groups[index]
            if startsEpoch { group.state.reset() }
            let own = index == 0 ? sum : group.gradients
            if index > 0 { own.zero() }
            let (x, y) = (Self.slice(inputs, group.streams, b, t), Self.slice(targets, group.streams, b, t))
            group.loss = group.workspace.languageModelLoss(network, inputs: x, targets: y, state: group.state,
                                                           gradients: own, lossScale: scale,
                                                           dropout: settings.dropout(step: step, part: index))
        }
        let loss = groups.reduce(0) { $0 + $1.loss } / Double(b * t)
        guard loss.isFinite else { throw .divergence(step: optimizer.step + 1) }
        sumClipAndUpdate([sum] + groups.dropFirst().map(\.gradients), parameters: network.parameters, optimizer: optimizer,
                         clipping: settings.clipping, rate: rateScale * scheduledLearningRate, threads: groups.count)
        return (loss, b * t)
    }

    /// The state carried into the next batch, as `HiddenState.buffers` (h of each layer, then
    /// c of each layer for an LSTM), each [B × H] in stream order.
    public func carriedState() -> [[Float]] {
        let h = network.shape.hiddenSize
        return groups[0].state.buffers.indices.map { index in
            groups.flatMap { Array(UnsafeBufferPointer(start: $0.state.buffers[index].pointer, count: $0.streams.count * h)) }
        }
    }

    /// Restores a state from `carriedState()` (of a trainer with the same shape and batch size).
    public func restoreCarriedState(_ buffers: [[Float]]) {
        let h = network.shape.hiddenSize
        precondition(buffers.count == groups[0].state.buffers.count, "state of the wrong depth")
        for (index, values) in buffers.enumerated() {
            precondition(values.count == settings.batchSize * h, "state of the wrong size")
            for group in groups {
                let start = group.streams.lowerBound * h
                for i in 0..<(group.streams.count * h) { group.state.buffers[index][i] = values[start + i] }
            }
        }
    }

    /// The columns `streams` of a T × B step-major block.
    private static func slice(_ block: [Int32], _ streams: Range<Int>, _ b: Int, _ t: Int) -> [Int32] {
        if streams.count == b { return block }
        var out: [Int32] = []
        out.reserveCapacity(streams.count * t)
        for step in 0..<t { out.append(contentsOf: block[(step * b + streams.lowerBound)..<(step * b + streams.upperBound)]) }
        return out
    }
}

// MARK: - Evaluation

/// The mean cross-entropy, in nats per token, of a language model on a text: one stream from
/// h = 0, feeding tokens 0 … N−2 and scoring tokens 1 … N−1 (as `charrnn eval` scores a text).
///
/// - Parameters:
///   - chunk: steps run per forward pass; the state is carried between chunks, so the result
///     does not depend on it (beyond float rounding).
/// - Returns: the mean loss and the number of scored tokens (N − 1). The loss is +∞ or NaN,
///   never a trap, when the logits overflow float32 (weights of absurd size): a caller that
///   reports it checks `isFinite` (``TrainingLoop`` counts it as no validation).
public func evaluateLanguageModel(_ network: RecurrentNetwork, tokens: [Int32], chunk: Int = 256) -> (nats: Double, count: Int) {
    let scored = tokens.count - 1
    guard scored > 0 else { return (0, 0) }
    let state = HiddenState(shape: network.shape, batch: 1)
    var total = 0.0
    var start = 0
    var workspaces: [Int: Workspace] = [:]
    while start < scored {
        let length = min(chunk, scored - start)
        let workspace = workspaces[length] ?? Workspace(shape: network.shape, batch: 1, steps: length)
        workspaces[length] = workspace
        total += workspace.languageModelLoss(
            network, inputs: Array(tokens[start..<(start + length)]),
            targets: Array(tokens[(start + 1)...(start + length)]), state: state, gradients: nil, lossScale: 1)
        start += length
    }
    return (total / Double(scored), scored)
}
