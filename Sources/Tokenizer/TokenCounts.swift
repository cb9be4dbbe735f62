// MARK: - Token frequencies and vocabulary coverage

/// How often each token occurs in a corpus: the input to `Vocabulary` and to `tokenize --stats`.
public struct TokenCounts: Sendable {
    /// Occurrences per distinct token.
    public private(set) var counts: [String: Int] = [:]
    /// All occurrences counted.
    public private(set) var total = 0

    public init() {}

    /// Counts one occurrence of `token`.
    public mutating func add(_ token: String, count: Int = 1) {
        counts[token, default: 0] += count
        total += count
    }

    /// Number of distinct tokens.
    public var distinct: Int { counts.count }

    /// Tokens with their counts, most frequent first, ties in code-point order.
    ///
    /// - Complexity: O(d log d) for d distinct tokens.
    public var sorted: [(token: String, count: Int)] {
        counts.map { (token: $0.key, count: $0.value) }.sorted { a, b in
            a.count != b.count
                ? a.count > b.count
                : a.token.unicodeScalars.lexicographicallyPrecedes(b.token.unicodeScalars)
        }
    }

    /// The share of all occurrences (0…1) that the `n` most frequent tokens account for.
    public func coverage(top n: Int) -> Double {
        guard total > 0 else { return 0 }
        let covered = sorted.prefix(max(n, 0)).reduce(0) { $0 + $1.count }
        return Double(covered) / Double(total)
    }

    /// The smallest number of most-frequent tokens that cover at least `share` (0…1) of all
    /// occurrences.
    public func tokensNeeded(toCover share: Double) -> Int {
        let goal = share * Double(total)
        var covered = 0
        for (i, entry) in sorted.enumerated() {
            if Double(covered) >= goal { return i }
            covered += entry.count
        }
        return distinct
    }
}
