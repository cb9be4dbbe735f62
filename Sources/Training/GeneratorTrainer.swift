// MARK: - Training a conditional generator (names by category)

import Model
import Tensor

/// The batch of a conditional generator: each name is read from a zero state with input
/// [one-hot category ; one-hot letter]; step 0 feeds the end token (it doubles as the start
/// marker), step i the name's letter i − 1; the targets are the letters and then the end token.
/// So a name of L letters is L + 1 scored steps. Inputs are planes × T × B with plane 0 the
/// category (0 ..< C) and plane 1 C + the letter id.
public func generatorBatch(_ data: LabeledSequences, items: [(sequence: Int, category: Int32)], endToken: Int32)
    -> (inputs: [Int32], targets: [Int32], lengths: [Int32], steps: Int)
{
    let b = items.count, c = Int32(data.categoryCount)
    let lengths = items.map { Int32(data.sequences[$0.sequence].count + 1) }
    let t = Int(lengths.max() ?? 1)
    var inputs = [Int32](repeating: 0, count: 2 * t * b)
    var targets = [Int32](repeating: endToken, count: t * b)
    for (s, item) in items.enumerated() {
        let letters = data.sequences[item.sequence]
        for step in 0..<t {
            inputs[step * b + s] = item.category
            inputs[t * b + step * b + s] = c + (step == 0 ? endToken : step <= letters.count ? letters[step - 1] : endToken)
            if step < letters.count { targets[step * b + s] = letters[step] }
        }
    }
    return (inputs, targets, lengths, t)
}

/// The summed cross-entropy (nats) of some names under a conditional generator, and how many
/// letters (end tokens included) it scored; accumulates gradients when given.
func generatorLoss(_ network: RecurrentNetwork, data: LabeledSequences, items: [(sequence: Int, category: Int32)],
                   endToken: Int32, gradients: FloatBuffer?, lossScale: Float, dropout: Dropout? = nil,
                   cache: WorkspaceCache? = nil) -> (loss: Double, count: Int)
{
    guard !items.isEmpty else { return (0, 0) }
    let batch = generatorBatch(data, items: items, endToken: endToken)
    let workspace = cache?.workspace(batch: items.count, steps: batch.steps)
        ?? Workspace(shape: network.shape, batch: items.count, steps: batch.steps)
    let state = HiddenState(shape: network.shape, batch: items.count)
    let loss = workspace.languageModelLoss(network, inputs: batch.inputs, planes: 2, targets: batch.targets,
                                           lengths: batch.lengths, state: state, gradients: gradients, lossScale: lossScale,
                                           dropout: dropout)
    return (loss, Int(batch.lengths.reduce(0, +)))
}

/// The mean cross-entropy in nats per letter (end tokens included) of names under a
/// conditional generator, each name under each of its categories. As for
/// ``evaluateLanguageModel(_:tokens:chunk:)``, it is +∞ or NaN when the logits overflow.
public func evaluateGenerator(_ network: RecurrentNetwork, data: LabeledSequences, endToken: Int32, batchSize: Int = 64)
    -> (nats: Double, count: Int)
{
    evaluateGenerator(network, data: data, endToken: endToken, batchSize: batchSize, cache: WorkspaceCache(shape: network.shape))
}

func evaluateGenerator(_ network: RecurrentNetwork, data: LabeledSequences, endToken: Int32, batchSize: Int = 64,
                       cache: WorkspaceCache) -> (nats: Double, count: Int)
{
    let items = data.examples
    var total = 0.0, count = 0
    for start in stride(from: 0, to: items.count, by: batchSize) {
        let part = Array(items[start..<min(start + batchSize, items.count)])
        let (loss, n) = generatorLoss(network, data: data, items: part, endToken: endToken, gradients: nil, lossScale: 1,
                                      cache: cache)
        total += loss
        count += n
    }
    return (count == 0 ? 0 : total / Double(count), count)
}

/// Trains a `RecurrentNetwork` as a conditional generator of names: shuffled mini-batches of names,
/// each a padded sequence, split across threads.
public final class GeneratorTrainer: ExampleTrainer, TrainingObjective {
    public let endToken: Int32

    public init(network: RecurrentNetwork, data: LabeledSequences, heldOut: LabeledSequences? = nil, endToken: Int32,
                settings: TrainingSettings)
    {
        self.endToken = endToken
        super.init(network: network, data: data, heldOut: heldOut, settings: settings)
    }

    /// One update; returns the batch's mean loss in nats per letter (end tokens included).
    @discardableResult
    public func trainStep() throws(TrainingError) -> Double { try trainStep(rateScale: 1).loss }

    /// One update at the scheduled learning rate times `rateScale`; returns the batch's mean loss
    /// in nats per letter (end tokens included) and the number of letters.
    public func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int) {
        let batch = stepper.nextBatch()
        let letters = batch.reduce(0) { $0 + self.data.sequences[self.examples[$1].sequence].count + 1 }
        let scale = 1 / Float(letters)
        let network = self.network, examples = self.examples, data = self.data, end = endToken
        let loss = try stepper.update(batch, count: Double(letters), rateScale: rateScale) { share, gradients, dropout, cache in
            generatorLoss(network, data: data, items: share.map { examples[$0] }, endToken: end, gradients: gradients,
                          lossScale: scale, dropout: dropout, cache: cache).loss
        }
        return (loss, letters)
    }

    /// The held-out names' loss in nats per letter (end tokens included); nil when none is held out.
    public func validationLoss() -> Double? {
        guard heldOut.count > 0 else { return nil }
        return evaluateGenerator(network, data: heldOut, endToken: endToken, cache: scoring).nats
    }
}
