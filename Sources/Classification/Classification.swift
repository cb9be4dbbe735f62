// MARK: - Classification: a classifier's probabilities, and how well they match the labels
//
// The Classification module reads names (or any sequences of letter ids) with a classifier
// network and scores its answers: accuracy, macro-F1, per-category precision and recall, the
// confusion matrix. Training uses it to validate; the library's NamesClassifier to answer.

import Model

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The category probabilities of each sequence (softmax of the classifier's logits).
///
/// Each sequence is read from a zero state, in batches of `batchSize` padded to their longest
/// (each held at its last letter), and the decoder reads its final state.
///
/// Logits that overflowed (weights of absurd size) give a defined answer, never a trap: see
/// ``softmaxProbabilities(_:)``. A sequence whose logits hold a NaN gets NaN for every
/// category, for the caller to report.
///
/// - Parameters:
///   - network: a classifier: input the vocabulary, output the categories.
///   - sequences: letter ids; an empty sequence is read as one step of letter 0.
/// - Returns: one probability per category for each sequence, in the network's category order.
/// - Complexity: one forward pass per batch, as long as its longest sequence.
public func classify(_ network: RecurrentNetwork, sequences: [[Int32]], batchSize: Int = 64) -> [[Double]] {
    var workspaces: [[Int]: Workspace] = [:]
    var result: [[Double]] = []
    result.reserveCapacity(sequences.count)
    for start in stride(from: 0, to: sequences.count, by: batchSize) {
        let chunk = Array(sequences[start..<min(start + batchSize, sequences.count)])
        let b = chunk.count, t = max(1, chunk.map(\.count).max()!)
        var inputs = [Int32](repeating: 0, count: t * b)
        for (s, sequence) in chunk.enumerated() { for (step, id) in sequence.enumerated() { inputs[step * b + s] = id } }
        let workspace = workspaces[[b, t]] ?? Workspace(shape: network.shape, batch: b, steps: t)
        workspaces[[b, t]] = workspace
        _ = workspace.classifierLoss(network, inputs: inputs, lengths: chunk.map { Int32(max(1, $0.count)) },
                                     categories: [Int32](repeating: 0, count: b), gradients: nil, lossScale: 1)
        for s in 0..<b { result.append(softmaxProbabilities(workspace.logits(ofStream: s))) }
    }
    return result
}

/// softmax(logits) in `Double`, with the maximum subtracted, defined for every input: the
/// logits that are +∞ share the probability equally (the limit as they grow), a row of −∞ is
/// uniform, and a row holding a NaN is NaN everywhere.
public func softmaxProbabilities(_ logits: some Collection<Float>) -> [Double] {
    guard !logits.contains(where: \.isNaN) else { return [Double](repeating: .nan, count: logits.count) }
    let m = Double(logits.max() ?? 0)
    switch m {
    case .infinity: return logits.map { $0 == .infinity ? 1 : 0 }.normalized()
    case -.infinity: return [Double](repeating: 1, count: logits.count).normalized()
    default: return logits.map { exp(Double($0) - m) }.normalized()
    }
}

extension [Double] {
    fileprivate func normalized() -> [Double] {
        let sum = reduce(0, +)
        return map { $0 / sum }
    }
}

/// How well predictions match labels: accuracy, macro-F1, per-category precision and recall,
/// and the confusion matrix (rows: true category; a sequence with several true categories
/// counts under the one predicted if it is among them, else under its first).
public struct ClassificationReport: Codable, Equatable, Sendable {
    public var count: Int
    public var accuracy: Double
    public var macroF1: Double
    /// The accuracy of always answering the most common category.
    public var majorityBaseline: Double
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    public var support: [Int]
    public var confusion: [[Int]]
    /// Mean cross-entropy of the right categories (the first, for several), in nats.
    public var loss: Double

    public init(probabilities: [[Double]], labels: [[Int32]], categoryCount: Int) {
        let c = categoryCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        var right = 0
        var loss = 0.0
        for (p, truth) in zip(probabilities, labels) {
            let predicted = p.indices.max { p[$0] < p[$1] }!
            let actual = truth.contains(Int32(predicted)) ? predicted : Int(truth[0])
            confusion[actual][predicted] += 1
            if actual == predicted { right += 1 }
            loss -= log(max(p[Int(truth[0])], 1e-300))
        }
        let n = probabilities.count
        let support = confusion.map { $0.reduce(0, +) }
        let precision = (0..<c).map { j in
            let column = (0..<c).reduce(0) { $0 + confusion[$1][j] }
            return column == 0 ? 0 : Double(confusion[j][j]) / Double(column)
        }
        let recall = (0..<c).map { i in support[i] == 0 ? 0 : Double(confusion[i][i]) / Double(support[i]) }
        let f1 = (0..<c).map { i in precision[i] + recall[i] == 0 ? 0 : 2 * precision[i] * recall[i] / (precision[i] + recall[i]) }
        let present = (0..<c).filter { support[$0] > 0 }
        macroF1 = present.isEmpty ? 0 : present.reduce(0.0) { $0 + f1[$1] } / Double(present.count)
        self.support = support
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        count = n
        accuracy = n == 0 ? 0 : Double(right) / Double(n)
        var firstCounts = [Int](repeating: 0, count: c)
        for truth in labels { firstCounts[Int(truth[0])] += 1 }
        let majority = firstCounts.indices.max { firstCounts[$0] < firstCounts[$1] } ?? 0
        majorityBaseline = n == 0 ? 0 : Double(labels.filter { $0.contains(Int32(majority)) }.count) / Double(n)
        self.confusion = confusion
        self.loss = n == 0 ? 0 : loss / Double(n)
    }
}
