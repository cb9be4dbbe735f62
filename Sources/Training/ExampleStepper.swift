// MARK: - What the name models' trainers share: shuffled mini-batches, one update across threads

import Dispatch
import Model
import Tensor

/// Serves epochs of shuffled example indices in mini-batches and makes one optimizer update from
/// a batch, its loss computed on up to `settings.threads` threads, each with its own gradient
/// buffer, summed in a fixed order (so a seed and thread count repeat a run exactly).
final class ExampleStepper {
    let network: RecurrentNetwork
    let settings: TrainingSettings
    let optimizer: Optimizer
    private var order: [Int]
    private var rng: SeededGenerator
    private let gradients: [FloatBuffer]
    private(set) var position = 0
    private(set) var epoch = 0
    /// Each thread's workspaces, one per batch shape (names per batch × longest name), reused
    /// from batch to batch.
    let workspaces: [WorkspaceCache]
    /// Category-uniform sampling: the examples of each category.
    private let pools: CategoryPools?

    init(network: RecurrentNetwork, examples: Int, settings: TrainingSettings, categories: [Int32] = []) {
        self.network = network
        self.settings = settings
        optimizer = Optimizer(settings.optimizer, count: network.parameterCount)
        rng = SeededGenerator(seed: settings.seed &+ 0x5EED)
        order = Array(0..<examples)
        order.shuffle(using: &rng)
        gradients = (0..<max(1, settings.threads)).map { _ in FloatBuffer(count: network.parameterCount) }
        workspaces = (0..<max(1, settings.threads)).map { _ in WorkspaceCache(shape: network.shape) }
        precondition(settings.sampling == .shuffled || categories.count == examples, "one category per example")
        pools = settings.sampling == .categoryUniform && examples > 0 ? CategoryPools(categories: categories) : nil
    }

    var stepsPerEpoch: Int { (order.count + settings.batchSize - 1) / settings.batchSize }

    /// Where the stepper is: its generator, the current order, the next position, the epoch.
    var state: ExampleOrder {
        get { ExampleOrder(rng: rng, order: order, position: position, epoch: epoch) }
        set {
            rng = newValue.rng
            order = newValue.order
            position = newValue.position
            epoch = newValue.epoch
        }
    }

    /// The next mini-batch of example indices; a new epoch reshuffles. Category-uniform
    /// sampling draws them instead (`order` then stays as it is).
    func nextBatch() -> [Int] {
        if let pools {
            if position >= order.count {
                position = 0
                epoch += 1
            }
            let count = min(settings.batchSize, order.count - position)
            position += count
            return (0..<count).map { _ in pools.draw(using: &rng) }
        }
        if position >= order.count {
            order.shuffle(using: &rng)
            position = 0
            epoch += 1
        }
        let batch = Array(order[position..<min(position + settings.batchSize, order.count)])
        position += batch.count
        return batch
    }

    /// One update at the scheduled learning rate times `rateScale`: `loss(share, gradients,
    /// dropout, workspaces)` on each thread's share of `batch` returns its summed loss and
    /// accumulates its gradients; the mean loss (sum / `count`) is returned.
    func update(_ batch: [Int], count: Double, rateScale: Float,
                loss: @escaping @Sendable ([Int], FloatBuffer, Dropout?, WorkspaceCache) -> Double) throws(TrainingError) -> Double
    {
        let groups = max(1, min(settings.threads, batch.count))
        let results = Slots(groups)
        let sinks = gradients, caches = workspaces
        let settings = self.settings, step = optimizer.step
        DispatchQueue.concurrentPerform(iterations: groups) { g in
            sinks[g].zero()
            results[g] = loss(Array(batch[(g * batch.count / groups)..<((g + 1) * batch.count / groups)]), sinks[g],
                                     settings.dropout(step: step, part: g), caches[g])
        }
        let mean = results.values.reduce(0, +) / count
        guard mean.isFinite else { throw .divergence(step: optimizer.step + 1) }
        sumClipAndUpdate(Array(gradients.prefix(groups)), parameters: network.parameters, optimizer: optimizer,
                         clipping: settings.clipping,
                         rate: rateScale * settings.schedule.rate(settings.optimizer.learningRate, step: optimizer.step),
                         threads: groups)
        return mean
    }
}

/// Where a names trainer is in its shuffled epochs, kept in a resume file so that a resumed run
/// draws the same batches as an unbroken one.
public struct ExampleOrder: Codable, Equatable, Sendable {
    /// The generator of the next reshuffle.
    public var rng: SeededGenerator
    /// The examples' order in the current epoch, and the next batch's start in it.
    public var order: [Int]
    public var position: Int
    /// Completed passes.
    public var epoch: Int
}

/// Workspaces of one network for batches of different shapes, kept for reuse. Not thread-safe:
/// one per thread.
final class WorkspaceCache: @unchecked Sendable {
    let shape: NetworkShape
    private var cache: [Int: Workspace] = [:]
    init(shape: NetworkShape) { self.shape = shape }

    /// A workspace for `batch` streams of `steps` steps.
    func workspace(batch: Int, steps: Int) -> Workspace {
        let key = batch &* 1_000_003 &+ steps
        if let workspace = cache[key], workspace.batch == batch, workspace.steps == steps { return workspace }
        let workspace = Workspace(shape: shape, batch: batch, steps: steps)
        cache[key] = workspace
        return workspace
    }
}

/// What the name models' trainers share: the network, the labelled names (those trained on and
/// those held out), the settings, and the stepper that serves their shuffled batches and makes
/// the update. A subclass adds `trainStep` and `validationLoss`.
public class ExampleTrainer {
    public let network: RecurrentNetwork
    public let data: LabeledSequences
    /// The held-out names that `validationLoss()` scores.
    public let heldOut: LabeledSequences
    public let settings: TrainingSettings
    let examples: [(sequence: Int, category: Int32)]
    let stepper: ExampleStepper
    /// Workspaces for scoring the held-out names.
    let scoring: WorkspaceCache

    init(network: RecurrentNetwork, data: LabeledSequences, heldOut: LabeledSequences?, settings: TrainingSettings) {
        self.network = network
        self.data = data
        self.heldOut = heldOut ?? data.subset([])
        self.settings = settings
        examples = data.examples
        stepper = ExampleStepper(network: network, examples: examples.count, settings: settings,
                                 categories: examples.map(\.category))
        scoring = WorkspaceCache(shape: network.shape)
    }

    public var scheduledLearningRate: Float { settings.schedule.rate(settings.optimizer.learningRate, step: step) }

    public var optimizer: Optimizer { stepper.optimizer }
    /// Updates made so far.
    public var step: Int { stepper.optimizer.step }
    /// Completed passes over the training examples.
    public var epoch: Int { stepper.epoch }
    /// Steps per pass over the training examples.
    public var stepsPerEpoch: Int { stepper.stepsPerEpoch }

    /// The order of the examples and the place in it (for a resume file).
    public var exampleOrder: ExampleOrder { stepper.state }

    /// Continues from `exampleOrder` and an optimizer's saved state.
    ///
    /// - Throws: an error when they do not fit this trainer's examples or parameters.
    public func restore(_ order: ExampleOrder, optimizerStep: Int, first: [Float], second: [Float]) throws(TrainingError) {
        guard order.order.count == examples.count, Set(order.order).count == examples.count,
            order.order.allSatisfy({ $0 >= 0 && $0 < examples.count }), (0...examples.count).contains(order.position),
            first.count == stepper.optimizer.first.count, second.count == stepper.optimizer.second.count
        else { throw .stateMismatch }
        stepper.state = order
        stepper.optimizer.restore(step: optimizerStep, first: first, second: second)
    }
}
