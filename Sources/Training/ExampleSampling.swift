// MARK: - How a names trainer draws its examples: shuffled epochs, or the PyTorch tutorial's category-uniform draws

import Tensor

/// How the names trainers (``ClassifierTrainer``, ``GeneratorTrainer``) pick the examples of
/// each mini-batch.
public enum ExampleSampling: String, Codable, CaseIterable, Sendable {
    /// Every example once per epoch, in an order shuffled afresh each epoch.
    case shuffled
    /// Each example drawn independently, with replacement: a category uniformly at random, then
    /// one of its examples uniformly at random, as the 2017 PyTorch char-RNN tutorial's
    /// `randomTrainingExample` does. Every category is then seen equally often whatever its
    /// size. An "epoch" is as many draws as there are examples.
    case categoryUniform = "category-uniform"
}

/// The examples of each category, for category-uniform draws.
struct CategoryPools: Sendable {
    /// Per category that has examples, the indices of its examples (ascending).
    let pools: [[Int]]

    init(categories: [Int32]) {
        var byCategory: [Int32: [Int]] = [:]
        for (i, c) in categories.enumerated() { byCategory[c, default: []].append(i) }
        pools = byCategory.keys.sorted().map { byCategory[$0]! }
    }

    /// One example: a category uniformly, then an example of it uniformly.
    func draw(using rng: inout SeededGenerator) -> Int {
        let pool = pools[Int.random(in: 0..<pools.count, using: &rng)]
        return pool[Int.random(in: 0..<pool.count, using: &rng)]
    }
}
