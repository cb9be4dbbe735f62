// The Sampling module: choosing the next token from a model's logits (temperature, top-k,
// top-p, masks) and the verse-form constraints that build those masks. Pure functions of the
// logits and an injected random number generator: a fixed seed reproduces a sample bit for bit.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Settings

/// How the next token is drawn from the logits; the defaults are `charrnn generate`'s.
public struct SamplingSettings: Equatable, Sendable {
    /// The logits are divided by it before the softmax: below 1 sharpens the distribution,
    /// above 1 flattens it; 0 means greedy (always the most likely token). Must be finite and ≥ 0.
    public var temperature: Float
    /// If set, only the `topK` most likely tokens may be drawn (ties go to the lower id). Must be ≥ 1.
    public var topK: Int?
    /// If set, nucleus sampling: only the smallest set of most likely tokens whose probability
    /// reaches `topP` may be drawn. Must be in (0, 1]; 1 keeps every token.
    public var topP: Float?

    public init(temperature: Float = 0.8, topK: Int? = nil, topP: Float? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }
}

// MARK: - Token masks

/// A set of allowed token ids over a vocabulary of `count` tokens, stored as a bitset.
public struct TokenMask: Equatable, Sendable {
    /// The vocabulary size: ids are `0..<count`.
    public let count: Int
    /// How many ids are allowed.
    public private(set) var allowedCount = 0
    /// Bit `id % 64` of word `id / 64` is set when `id` is allowed; bits past `count` stay clear.
    private var words: [UInt64]

    /// A mask over `count` tokens that allows exactly `ids` (repetitions are harmless).
    /// - Precondition: every id is in `0..<count`.
    public init(count: Int, allowing ids: some Sequence<Int>) {
        precondition(count >= 0, "a vocabulary cannot have \(count) tokens")
        self.count = count
        words = Array(repeating: 0, count: (count + 63) / 64)
        for id in ids { insert(id) }
    }

    /// The mask that allows every one of `count` tokens.
    public static func all(count: Int) -> TokenMask {
        TokenMask(count: count, allowing: 0..<count)
    }

    /// Whether `id` is allowed (false for ids outside `0..<count`).
    public func contains(_ id: Int) -> Bool {
        id >= 0 && id < count && words[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    /// Allows `id`.
    /// - Precondition: `id` is in `0..<count`.
    public mutating func insert(_ id: Int) {
        precondition(id >= 0 && id < count, "token id \(id) is outside a vocabulary of \(count)")
        if !contains(id) {
            words[id >> 6] |= 1 << UInt64(id & 63)
            allowedCount += 1
        }
    }

    /// Disallows `id`.
    /// - Precondition: `id` is in `0..<count`.
    public mutating func remove(_ id: Int) {
        precondition(id >= 0 && id < count, "token id \(id) is outside a vocabulary of \(count)")
        if contains(id) {
            words[id >> 6] &= ~(1 << UInt64(id & 63))
            allowedCount -= 1
        }
    }

    /// Allows every id that `other` allows as well.
    /// - Precondition: both masks are over the same number of tokens.
    public mutating func formUnion(_ other: TokenMask) {
        precondition(count == other.count, "masks over \(count) and \(other.count) tokens")
        for i in words.indices { words[i] |= other.words[i] }
        allowedCount = words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// Keeps only the ids that `other` allows too.
    /// - Precondition: both masks are over the same number of tokens.
    public mutating func formIntersection(_ other: TokenMask) {
        precondition(count == other.count, "masks over \(count) and \(other.count) tokens")
        for i in words.indices { words[i] &= other.words[i] }
        allowedCount = words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// The allowed ids in increasing order.
    public var allowedIDs: [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(allowedCount)
        for (w, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                ids.append(w << 6 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return ids
    }
}

// MARK: - Sampling

/// Picks the next token id from a model's logits, as nanoGPT's `sample.py` does, with a mask.
///
/// The steps: ids the mask disallows get probability 0; with temperature 0 the result is the
/// allowed id with the largest logit (ties: the lowest id) and `rng` is not touched. Otherwise
/// the logits are divided by the temperature, cut to the `topK` largest, turned into
/// probabilities by a softmax in `Double`, cut to the `topP` nucleus and renormalized (see
/// ``probabilities(logits:settings:mask:)-([Float],_,_)``); then one uniform `Double` in [0, 1) made from the
/// top 53 bits of exactly one `rng.next()` walks the cumulative distribution in id order. So a
/// seeded generator gives the same tokens on every run.
///
/// Logits that are not finite never trap and never stall the draw: a NaN logit counts as −∞
/// (it is never chosen while an allowed token has a logit that is not NaN or −∞); when some
/// allowed logits are +∞, those tokens share the probability equally and the others get none;
/// when every allowed logit is −∞ or NaN, the allowed tokens are equally likely. A caller that
/// must not draw from such scores (``TextGenerator`` refuses NaN) checks them first.
///
/// - Parameters:
///   - logits: one score per vocabulary token.
///   - settings: temperature, top-k, top-p.
///   - mask: the tokens that may be chosen; `nil` allows all.
///   - rng: the source of randomness.
/// - Returns: a token id in `0..<logits.count` that the mask allows.
/// - Precondition: `logits` is not empty; the mask has `logits.count` ids and allows at least
///   one; the settings are in their documented ranges.
/// - Complexity: O(V + m log V) for V logits, where m is the number of tokens top-k or top-p keep.
public func sampleToken(
    logits: UnsafeBufferPointer<Float>, settings: SamplingSettings, mask: TokenMask? = nil,
    using rng: inout some RandomNumberGenerator
) -> Int {
    checkArguments(logits: logits, settings: settings, mask: mask)
    if settings.temperature == 0 { return greedyChoice(logits: logits, mask: mask) }
    if settings.topK == nil && (settings.topP ?? 1) >= 1,
       let id = drawFromSoftmax(logits: logits, temperature: Double(settings.temperature), mask: mask, using: &rng)
    {
        return id
    }
    let p = distribution(logits: logits, settings: settings, mask: mask)
    let u = Double(rng.next() >> 11) * 0x1p-53
    var cumulative = 0.0
    var last = 0
    for (id, q) in p.enumerated() where q > 0 {
        cumulative += q
        last = id
        if u < cumulative { return id }
    }
    return last  // u fell past a total that rounding left just below 1
}

/// Picks the next token id from a model's logits; see the `UnsafeBufferPointer` version.
public func sampleToken(
    logits: [Float], settings: SamplingSettings, mask: TokenMask? = nil,
    using rng: inout some RandomNumberGenerator
) -> Int {
    logits.withUnsafeBufferPointer { sampleToken(logits: $0, settings: settings, mask: mask, using: &rng) }
}

/// The distribution ``sampleToken(logits:settings:mask:using:)-([Float],_,_,_)`` draws from: one probability
/// per token, 0 for every token the mask, top-k or top-p excludes, summing to 1.
///
/// With temperature 0 it is 1 at the greedy choice. Otherwise, with z = logits / temperature
/// over the allowed ids: top-k keeps the k largest z (ties: lower ids first); p = softmax(z) in
/// `Double` with the maximum subtracted; top-p keeps the smallest set of largest p (ties: lower
/// ids first) whose sum reaches `topP` (up to a relative 1e-12 for rounding), at least one
/// token; the kept p are divided by their sum. If every kept z is −∞ they count as equal; if
/// some are +∞, those share the probability equally.
/// - Precondition: as for ``sampleToken(logits:settings:mask:using:)-([Float],_,_,_)``.
public func probabilities(
    logits: UnsafeBufferPointer<Float>, settings: SamplingSettings, mask: TokenMask? = nil
) -> [Double] {
    checkArguments(logits: logits, settings: settings, mask: mask)
    if settings.temperature == 0 {
        var p = [Double](repeating: 0, count: logits.count)
        p[greedyChoice(logits: logits, mask: mask)] = 1
        return p
    }
    return distribution(logits: logits, settings: settings, mask: mask)
}

/// The distribution the sampler draws from; see the `UnsafeBufferPointer` version.
public func probabilities(logits: [Float], settings: SamplingSettings, mask: TokenMask? = nil) -> [Double] {
    logits.withUnsafeBufferPointer { probabilities(logits: $0, settings: settings, mask: mask) }
}

// MARK: - The steps

private func checkArguments(logits: UnsafeBufferPointer<Float>, settings: SamplingSettings, mask: TokenMask?) {
    precondition(!logits.isEmpty, "sampling needs at least one logit")
    if let mask {
        precondition(mask.count == logits.count, "a mask over \(mask.count) tokens for \(logits.count) logits")
        precondition(mask.allowedCount > 0, "the mask allows no token")
    }
    precondition(settings.temperature.isFinite && settings.temperature >= 0,
                 "temperature \(settings.temperature) is not finite and ≥ 0")
    if let k = settings.topK { precondition(k >= 1, "top-k \(k) is below 1") }
    if let p = settings.topP { precondition(p > 0 && p <= 1, "top-p \(p) is not in (0, 1]") }
}

/// The allowed id with the largest logit, NaN counting as −∞; ties go to the lowest id.
private func greedyChoice(logits: UnsafeBufferPointer<Float>, mask: TokenMask?) -> Int {
    var best = -1
    var bestValue = -Float.infinity
    for id in logits.indices where mask?.contains(id) ?? true {
        let value = logits[id].isNaN ? -Float.infinity : logits[id]
        if best < 0 || value > bestValue { (best, bestValue) = (id, value) }
    }
    return best
}

/// The common case, temperature only (no top-k or top-p), in one pass over the logits with no
/// arrays but one scratch buffer: the same probabilities as `distribution` (each exp, the total
/// and the cumulative sums in the same order), so the same draw. Returns nil, leaving `rng`
/// untouched, when the largest allowed z is infinite (the general path handles that).
private func drawFromSoftmax(
    logits: UnsafeBufferPointer<Float>, temperature: Double, mask: TokenMask?, using rng: inout some RandomNumberGenerator
) -> Int? {
    let count = logits.count
    let allowed = { (id: Int) -> Bool in mask?.contains(id) ?? true }
    let z = { (id: Int) -> Double in logits[id].isNaN ? -.infinity : Double(logits[id]) / temperature }
    var largest = -Double.infinity
    for id in 0..<count where allowed(id) { largest = max(largest, z(id)) }
    guard largest.isFinite else { return nil }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { e in
        var total = 0.0
        for id in 0..<count {
            e[id] = allowed(id) ? exp(z(id) - largest) : 0
            total += e[id]
        }
        let u = Double(rng.next() >> 11) * 0x1p-53
        var cumulative = 0.0
        var last = 0
        for id in 0..<count {
            let q = e[id] / total
            guard q > 0 else { continue }
            cumulative += q
            last = id
            if u < cumulative { return id }
        }
        return last
    }
}

/// Temperature → top-k → softmax → top-p → renormalize; temperature > 0.
private func distribution(logits: UnsafeBufferPointer<Float>, settings: SamplingSettings, mask: TokenMask?) -> [Double] {
    let count = logits.count
    let temperature = Double(settings.temperature)
    var kept = mask?.allowedIDs ?? Array(0..<count)
    var z = [Double](repeating: -.infinity, count: count)
    for id in kept where !logits[id].isNaN { z[id] = Double(logits[id]) / temperature }

    if let k = settings.topK, k < kept.count {
        var order = DescendingOrder(ids: kept, keys: z)
        kept = (0..<k).map { _ in order.next()! }.sorted()
    }

    // Softmax with the maximum subtracted, so that no exp overflows.
    let largest = kept.map { z[$0] }.max()!
    var p = [Double](repeating: 0, count: count)
    for id in kept {
        switch largest {
        case .infinity: p[id] = z[id] == .infinity ? 1 : 0
        case -.infinity: p[id] = 1
        default: p[id] = exp(z[id] - largest)
        }
    }
    var total = kept.reduce(0) { $0 + p[$1] }

    if let topP = settings.topP, topP < 1 {
        var order = DescendingOrder(ids: kept, keys: p)
        var nucleus = [Double](repeating: 0, count: count)
        let target = Double(topP) * total * (1 - 1e-12)
        var sum = 0.0
        while sum < target, let id = order.next() {
            nucleus[id] = p[id]
            sum += p[id]
        }
        (p, total) = (nucleus, sum)
    }

    for id in kept { p[id] /= total }
    return p
}

/// Hands out ids from the largest key to the smallest (ties: lower id first), one at a time.
/// A binary heap built in O(n), so taking the first m ids costs O(n + m log n), not a full sort.
private struct DescendingOrder: IteratorProtocol {
    private var heap: [Int]
    private let keys: [Double]

    init(ids: [Int], keys: [Double]) {
        heap = ids
        self.keys = keys
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    mutating func next() -> Int? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private func comesFirst(_ a: Int, _ b: Int) -> Bool {
        keys[a] > keys[b] || (keys[a] == keys[b] && a < b)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var first = i
            if left < heap.count && comesFirst(heap[left], heap[first]) { first = left }
            if right < heap.count && comesFirst(heap[right], heap[first]) { first = right }
            if first == i { return }
            heap.swapAt(i, first)
            i = first
        }
    }
}
