// The sampler against distributions computed by hand (or by Python's math module), and its
// randomness tested statistically with a seeded generator.

import Foundation
import Sampling
import Tensor
import Testing

/// The one tolerance of these tests, on probabilities: logits are Float, so a probability that
/// comes from a Float logarithm is exact to about 1e-7; everything after that is Double.
let tolerance = 1e-6

func close(_ x: [Double], _ y: [Double]) -> Bool {
    x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance }
}

/// A generator that always returns `value`: it pins the sampler's uniform draw u to
/// `value >> 11 · 2⁻⁵³`.
struct FixedGenerator: RandomNumberGenerator {
    var value: UInt64
    init(u: Double) { value = UInt64(u * 0x1p53) << 11 }
    mutating func next() -> UInt64 { value }
}

/// Logits whose softmax (temperature 1) is `p`.
func logits(softmax p: [Double]) -> [Float] { p.map { Float(log($0)) } }

@Suite("Sampler")
struct SamplerTests {
    // MARK: - Greedy

    @Test func greedyPicksTheArgmaxAndRespectsTheMask() {
        let greedy = SamplingSettings(temperature: 0)
        var rng = SeededGenerator(seed: 1)
        let before = rng
        #expect(sampleToken(logits: [0.1, 2, -1, 1.5], settings: greedy, using: &rng) == 1)
        #expect(sampleToken(logits: [3, 1, 3, 3], settings: greedy, using: &rng) == 0)  // ties: lowest id
        let mask = TokenMask(count: 4, allowing: [0, 2, 3])
        #expect(sampleToken(logits: [0.1, 2, -1, 1.5], settings: greedy, mask: mask, using: &rng) == 3)
        #expect(sampleToken(logits: [.nan, 2, 2, 1], settings: greedy, using: &rng) == 1)
        #expect(sampleToken(logits: [.nan, .nan, .nan], settings: greedy,
                            mask: TokenMask(count: 3, allowing: [2, 1]), using: &rng) == 1)
        #expect(rng == before, "greedy sampling draws no random number")
        #expect(probabilities(logits: [0.1, 2, -1, 1.5], settings: greedy, mask: mask) == [0, 0, 0, 1])
    }

    // MARK: - The distribution

    @Test func temperatureGivesSoftmaxOfScaledLogits() {
        // softmax([1, 2, 3, -1] / T), from Python's math.exp.
        let expected: [Float: [Double]] = [
            1: [0.0889468172974043, 0.24178251715880075, 0.6572330228318554, 0.01203764271193945],
            0.5: [0.015871624770209498, 0.1172763258082553, 0.8665613504736667, 0.0002906989478686458],
            2: [0.17437148764032928, 0.2874899806762354, 0.47399084625407806, 0.06414768542935739],
        ]
        for (temperature, p) in expected {
            let q = probabilities(logits: [1, 2, 3, -1], settings: SamplingSettings(temperature: temperature))
            #expect(close(q, p), "T = \(temperature): \(q)")
        }
    }

    @Test func maskedTokensGetNoProbability() {
        let mask = TokenMask(count: 4, allowing: [1, 3])
        let q = probabilities(logits: [1, 2, 3, -1], settings: SamplingSettings(temperature: 1), mask: mask)
        let e = exp(3.0)  // softmax of [2, -1]
        #expect(close(q, [0, e / (e + 1), 0, 1 / (e + 1)]), "\(q)")
    }

    @Test func topKKeepsExactlyTheKLargest() {
        let logits: [Float] = [0.5, 2, -1, 1.5, 3, 0]
        for k in 1...6 {
            let q = probabilities(logits: logits, settings: SamplingSettings(temperature: 1, topK: k))
            let kept = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(k)
            #expect(q.filter { $0 > 0 }.count == k)
            #expect(kept.allSatisfy { q[$0] > 0 })
            let z = kept.map { exp(Double(logits[$0])) }.reduce(0, +)
            #expect(close(q, logits.indices.map { kept.contains($0) ? exp(Double(logits[$0])) / z : 0 }))
        }
        // Ties at the boundary go to the lower ids; top-k counts only allowed tokens.
        let tied = probabilities(logits: [1, 3, 3, 3, 0], settings: SamplingSettings(temperature: 1, topK: 2))
        #expect(close(tied, [0, 0.5, 0.5, 0, 0]), "\(tied)")
        let masked = probabilities(logits: [5, 4, 3, 2, 1], settings: SamplingSettings(temperature: 1, topK: 2),
                                   mask: TokenMask(count: 5, allowing: [2, 3, 4]))
        #expect(masked.map { $0 > 0 } == [false, false, true, true, false])
        let large = probabilities(logits: [1, 2], settings: SamplingSettings(temperature: 1, topK: 50))
        #expect(large.allSatisfy { $0 > 0 })
    }

    @Test func topPKeepsTheSmallestPrefixReachingP() {
        let logits = logits(softmax: [0.15, 0.5, 0.05, 0.3])  // not in probability order on purpose
        func nucleus(_ p: Float) -> [Double] {
            probabilities(logits: logits, settings: SamplingSettings(temperature: 1, topP: p))
        }
        #expect(close(nucleus(0.7), [0, 0.625, 0, 0.375]), "\(nucleus(0.7))")
        #expect(close(nucleus(0.4), [0, 1, 0, 0]))
        #expect(close(nucleus(0.9), [0.15 / 0.95, 0.5 / 0.95, 0, 0.3 / 0.95]))
        #expect(close(nucleus(1), [0.15, 0.5, 0.05, 0.3]))
        #expect(close(nucleus(1e-6), [0, 1, 0, 0]), "always at least one token")
        // After top-k (2 kept, renormalized to 0.625 / 0.375), p = 0.6 keeps one.
        let both = probabilities(logits: logits, settings: SamplingSettings(temperature: 1, topK: 2, topP: 0.6))
        #expect(close(both, [0, 1, 0, 0]))
    }

    @Test func extremeLogitsDoNotOverflow() {
        let a = probabilities(logits: [1e4, -1e4, 9999], settings: SamplingSettings(temperature: 1))
        let e = exp(-1.0)
        #expect(close(a, [1 / (1 + e), 0, e / (1 + e)]), "\(a)")
        let b = probabilities(logits: [1e4, 9999], settings: SamplingSettings(temperature: 1e-3))
        #expect(close(b, [1, 0]), "\(b)")
        let c = probabilities(logits: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0],
                              settings: SamplingSettings(temperature: 0.01))
        #expect(close(c, [1, 0, 0]), "\(c)")
        let d = probabilities(logits: [.infinity, 0, .infinity, .nan], settings: SamplingSettings(temperature: 1))
        #expect(close(d, [0.5, 0, 0.5, 0]), "\(d)")
        let f = probabilities(logits: [.nan, 1, .nan], settings: SamplingSettings(temperature: 1))
        #expect(close(f, [0, 1, 0]), "NaN counts as −∞: \(f)")
        let g = probabilities(logits: [.nan, -.infinity, .nan], settings: SamplingSettings(temperature: 1))
        #expect(close(g, [1.0 / 3, 1.0 / 3, 1.0 / 3]), "nothing finite: all equal: \(g)")
    }

    // MARK: - The draw

    @Test func theDrawWalksTheCumulativeDistributionInIDOrder() {
        let logits = logits(softmax: [0.25, 0.25, 0.5])
        let settings = SamplingSettings(temperature: 1)
        for (u, id) in [(0.0, 0), (0.2, 0), (0.3, 1), (0.49, 1), (0.51, 2), (1 - 0x1p-53, 2)] {
            var rng = FixedGenerator(u: u)
            #expect(sampleToken(logits: logits, settings: settings, using: &rng) == id, "u = \(u)")
        }
    }

    /// With temperature only, the sampler takes a one-pass route; it must draw exactly the token
    /// that walking `probabilities` (the general route) gives, for any u, mask and logits.
    @Test func theTemperatureOnlyRouteDrawsWhatTheDistributionSays() {
        var source = SeededGenerator(seed: 11)
        for trial in 0..<300 {
            let count = [1, 2, 7, 65, 300][trial % 5]
            let logits: [Float] = (0..<count).map { _ in
                let x = source.uniform(-12, 12)
                return x > 11 ? -.infinity : x < -11.5 ? .nan : x
            }
            var mask: TokenMask? = nil
            if trial % 3 == 0 {
                var m = TokenMask.all(count: count)
                for id in 0..<count where id % 4 == 1 && count > 1 { m.remove(id) }
                mask = m
            }
            let settings = SamplingSettings(temperature: [0.3, 0.8, 1, 2.5][trial % 4])
            let p = probabilities(logits: logits, settings: settings, mask: mask)
            for u in [0.0, Double(source.uniform(0, 1)), Double(source.uniform(0, 1)), 1 - 0x1p-53] {
                var rng = FixedGenerator(u: u)
                let drawn = sampleToken(logits: logits, settings: settings, mask: mask, using: &rng)
                var cumulative = 0.0, expected = -1
                for (id, q) in p.enumerated() where q > 0 {
                    cumulative += q
                    expected = id
                    if Double(FixedGenerator(u: u).value >> 11) * 0x1p-53 < cumulative { break }
                }
                #expect(drawn == expected, "trial \(trial), u = \(u)")
            }
        }
    }

    @Test func oneRandomNumberPerTokenAndTheSameSeedGivesTheSameTokens() {
        let logits: [Float] = (0..<50).map { Float($0 % 7) * 0.3 }
        let settings = [SamplingSettings(), SamplingSettings(temperature: 1.3, topK: 5),
                        SamplingSettings(temperature: 0.5, topP: 0.9)]
        for setting in settings {
            var a = SeededGenerator(seed: 42), b = a, copy = a
            let first = (0..<200).map { _ in sampleToken(logits: logits, settings: setting, using: &a) }
            let second = (0..<200).map { _ in sampleToken(logits: logits, settings: setting, using: &b) }
            #expect(first == second)
            for _ in 0..<200 { _ = copy.next() }
            #expect(a == copy, "exactly one rng.next() per token")
        }
        // Even when a single token is left.
        var c = SeededGenerator(seed: 7), d = c
        _ = sampleToken(logits: [1, 2], settings: SamplingSettings(topK: 1), using: &c)
        _ = d.next()
        #expect(c == d)
    }

    @Test func maskedTokensAreNeverDrawn() {
        var rng = SeededGenerator(seed: 5)
        let logits: [Float] = [3, 0, 2, 1, 4, -1]
        let mask = TokenMask(count: 6, allowing: [1, 3, 5])
        for _ in 0..<10_000 {
            let id = sampleToken(logits: logits, settings: SamplingSettings(temperature: 1.5), mask: mask, using: &rng)
            #expect(mask.contains(id))
            if !mask.contains(id) { break }
        }
    }

    /// Every token's frequency over 20,000 draws lies within 5 standard errors, √(p(1 − p) / n),
    /// of its probability: a correct sampler fails this with odds of about 1 in 10⁶ per token.
    @Test(arguments: [
        SamplingSettings(temperature: 1), SamplingSettings(temperature: 0.8),
        SamplingSettings(temperature: 2, topK: 5), SamplingSettings(temperature: 1, topP: 0.8),
    ])
    func frequenciesMatchProbabilities(settings: SamplingSettings) {
        let draws = 20_000
        let logits: [Float] = [1, 0.5, -0.3, 2, 0, 1.2, -1, 0.7]
        let mask = TokenMask(count: 8, allowing: [0, 1, 2, 3, 4, 5, 7])
        let p = probabilities(logits: logits, settings: settings, mask: mask)
        var counts = [Int](repeating: 0, count: logits.count)
        var rng = SeededGenerator(seed: 2024)
        for _ in 0..<draws {
            counts[sampleToken(logits: logits, settings: settings, mask: mask, using: &rng)] += 1
        }
        for id in logits.indices {
            let frequency = Double(counts[id]) / Double(draws)
            let standardError = (p[id] * (1 - p[id]) / Double(draws)).squareRoot()
            #expect(abs(frequency - p[id]) <= 5 * standardError, "token \(id): \(frequency) vs \(p[id])")
        }
    }

    // MARK: - Masks

    @Test func tokenMaskOperations() {
        var mask = TokenMask(count: 130, allowing: [0, 64, 129, 64])
        #expect(mask.allowedCount == 3 && mask.allowedIDs == [0, 64, 129])
        #expect(mask.contains(129) && !mask.contains(1) && !mask.contains(130) && !mask.contains(-1))
        mask.insert(5)
        mask.remove(64)
        mask.remove(64)
        #expect(mask.allowedIDs == [0, 5, 129] && mask.allowedCount == 3)
        #expect(TokenMask.all(count: 130).allowedCount == 130)
        #expect(TokenMask.all(count: 130) == TokenMask(count: 130, allowing: (0..<130).reversed()))
        #expect(TokenMask(count: 3, allowing: []).allowedIDs.isEmpty)
    }
}
