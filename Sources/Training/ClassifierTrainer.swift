// MARK: - Training a sequence classifier (names by language)

import Classification
import Model
import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sequences of letter ids with their categories: names, each with every category it is listed
/// under (a name in two languages counts as right for either).
public struct LabeledSequences: Sendable {
    public var sequences: [[Int32]]
    /// The categories of each sequence, the first being the one it is trained on when it has one
    /// entry per category (see `examples`).
    public var labels: [[Int32]]
    public let categoryCount: Int

    public init(sequences: [[Int32]], labels: [[Int32]], categoryCount: Int) {
        precondition(sequences.count == labels.count && labels.allSatisfy { !$0.isEmpty }, "one label list per sequence")
        self.sequences = sequences
        self.labels = labels
        self.categoryCount = categoryCount
    }

    public var count: Int { sequences.count }

    /// The training examples: one (sequence, category) pair per category a sequence is listed under.
    public var examples: [(sequence: Int, category: Int32)] {
        sequences.indices.flatMap { i in labels[i].map { (sequence: i, category: $0) } }
    }

    /// Examples per category.
    public var categoryCounts: [Int] {
        var counts = [Int](repeating: 0, count: categoryCount)
        for labels in labels { for c in labels { counts[Int(c)] += 1 } }
        return counts
    }

    /// The subset at `indices`.
    public func subset(_ indices: [Int]) -> LabeledSequences {
        LabeledSequences(sequences: indices.map { sequences[$0] }, labels: indices.map { labels[$0] },
                         categoryCount: categoryCount)
    }

    /// A stratified, seeded split: for each category, `fraction` of its names, at least one when
    /// it has two or more, go to the held-out part. A name is a sequence, or with `groups` all the
    /// sequences of one group (such as the spellings "Nguyễn" and "Nguyen"): it goes to one part
    /// as a whole and counts under its first sequence's first category. A sequence is never in
    /// both parts. Without groups, or with a group per sequence, the split is the same.
    ///
    /// - Parameters:
    ///   - fraction: the share of each category's names to hold out.
    ///   - seed: the seed of the shuffle; the same seed gives the same split.
    ///   - groups: a group key per sequence; sequences with equal keys are one name.
    /// - Returns: the indices of the sequences in each part, ascending.
    public func stratifiedSplit(heldOut fraction: Double, seed: UInt64, groups: [Int]? = nil)
        -> (train: [Int], heldOut: [Int])
    {
        precondition(groups.map { $0.count == count } ?? true, "one group key per sequence")
        // The names: each a list of sequences in index order, in the order of their first sequence.
        var names: [[Int]] = []
        if let groups {
            var nameOfGroup: [Int: Int] = [:]
            for i in sequences.indices {
                if let n = nameOfGroup[groups[i]] {
                    names[n].append(i)
                } else {
                    nameOfGroup[groups[i]] = names.count
                    names.append([i])
                }
            }
        } else {
            names = sequences.indices.map { [$0] }
        }
        var rng = SeededGenerator(seed: seed)
        var byCategory = [[[Int]]](repeating: [], count: categoryCount)
        for name in names { byCategory[Int(labels[name[0]][0])].append(name) }
        var train: [Int] = [], held: [Int] = []
        for var members in byCategory {
            members.shuffle(using: &rng)
            let n = members.count < 2 ? 0 : max(1, Int((Double(members.count) * fraction).rounded()))
            held += members.prefix(n).joined()
            train += members.dropFirst(n).joined()
        }
        return (train.sorted(), held.sorted())
    }
}

/// How a classifier makes up for categories of very different sizes.
public enum ClassBalance: String, Codable, CaseIterable, Sendable {
    /// Each example's loss is weighted by N / (C · count of its category), so every category
    /// weighs the same in total.
    case weights
    /// Weights proportional to 1 / √count, scaled so the mean weight over examples is 1: a
    /// milder correction that lifts small categories without drowning the large ones.
    case sqrt
    /// No correction.
    case none
}

/// Trains a `RecurrentNetwork` as a classifier: shuffled mini-batches of sequences of different
/// lengths (held states past each end), the decoder on each sequence's final state.
public final class ClassifierTrainer: ExampleTrainer, TrainingObjective {
    /// The per-category loss weights in use (all 1 without balancing).
    public let weights: [Float]
    /// The held-out report of the last `validationLoss()`.
    public private(set) var lastReport: ClassificationReport?

    public init(network: RecurrentNetwork, data: LabeledSequences, heldOut: LabeledSequences? = nil, settings: TrainingSettings,
                balance: ClassBalance)
    {
        weights = ClassifierTrainer.weights(counts: data.categoryCounts, balance: balance)
        super.init(network: network, data: data, heldOut: heldOut, settings: settings)
    }

    /// The mean cross-entropy of the held-out names' first categories (nats per name), with
    /// accuracy and macro-F1 in `lastReport`; nil when no name is held out.
    public func validationLoss() -> Double? {
        guard heldOut.count > 0 else { return nil }
        let report = ClassificationReport(probabilities: classify(network, sequences: heldOut.sequences),
                                          labels: heldOut.labels, categoryCount: heldOut.categoryCount)
        lastReport = report
        return report.loss
    }

    /// Per-category loss weights for `balance`, with a mean of 1 over the examples.
    public static func weights(counts: [Int], balance: ClassBalance) -> [Float] {
        let total = Double(counts.reduce(0, +)), c = Double(counts.count)
        switch balance {
        case .none: return counts.map { _ in 1 }
        case .weights: return counts.map { $0 > 0 ? Float(total / (c * Double($0))) : 1 }
        case .sqrt:
            let norm = total / counts.reduce(0.0) { $0 + Double($1).squareRoot() }
            return counts.map { $0 > 0 ? Float(norm / Double($0).squareRoot()) : 1 }
        }
    }

    /// One update on the next mini-batch; returns its mean (weighted) loss in nats.
    @discardableResult
    public func trainStep() throws(TrainingError) -> Double { try trainStep(rateScale: 1).loss }

    /// One update on the next mini-batch at the scheduled learning rate times `rateScale`;
    /// returns its mean (weighted) loss in nats per name and the number of names.
    public func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int) {
        let batch = stepper.nextBatch()
        let scale = 1 / Float(batch.count)
        let network = self.network, examples = self.examples, data = self.data, weights = self.weights
        let loss = try stepper.update(batch, count: Double(batch.count), rateScale: rateScale) { share, gradients, dropout, cache in
            classifierBatchLoss(network, data: data, items: share.map { examples[$0] }, weights: weights,
                                gradients: gradients, lossScale: scale, dropout: dropout, cache: cache)
        }
        return (loss, batch.count)
    }
}

/// The summed loss of some examples as one padded batch, accumulating gradients when given.
func classifierBatchLoss(_ network: RecurrentNetwork, data: LabeledSequences, items: [(sequence: Int, category: Int32)],
                         weights: [Float]?, gradients: FloatBuffer?, lossScale: Float, dropout: Dropout? = nil,
                         cache: WorkspaceCache? = nil) -> Double
{
    guard !items.isEmpty else { return 0 }
    let b = items.count
    let t = items.map { data.sequences[$0.sequence].count }.max()!
    var inputs = [Int32](repeating: 0, count: t * b)
    for (s, item) in items.enumerated() {
        for (step, id) in data.sequences[item.sequence].enumerated() { inputs[step * b + s] = id }
    }
    let workspace = cache?.workspace(batch: b, steps: t) ?? Workspace(shape: network.shape, batch: b, steps: t)
    return workspace.classifierLoss(network, inputs: inputs, lengths: items.map { Int32(data.sequences[$0.sequence].count) },
                                    categories: items.map(\.category), weights: weights, gradients: gradients,
                                    lossScale: lossScale, dropout: dropout)
}
