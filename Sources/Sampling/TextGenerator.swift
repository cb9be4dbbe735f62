// MARK: - Generating token sequences from a language model

import Foundation
import Model
import Tensor

/// Why a sample could not be generated.
public enum GenerationError: Error, Equatable, CustomStringConvertible, Sendable {
    case verseForm(VerseFormError)
    /// The network's scores for the next token hold a NaN, at token `position` of the sample
    /// (counted from 1 after the seed): its float32 arithmetic overflowed, which only weights
    /// of absurd size make it do.
    case notANumber(position: Int)
    /// The caller's `emit` asked to stop (its client went away).
    case cancelled

    public var description: String {
        switch self {
        case .cancelled: return "the generation was cancelled"
        case .verseForm(let error): return error.description
        case .notANumber(let position):
            return "the model's scores for token \(position) of the sample are not numbers (NaN): its weights are so "
                + "large that float32 arithmetic overflows, so it cannot generate; retrain it or use another model"
        }
    }
}

/// Writes `samples` sequences at once (one stream each) from a language model: primes
/// the hidden state, then draws one token per stream per step with `sampleToken`, within the
/// constraints of an optional `VerseForm`.
public final class TextGenerator {
    public let network: RecurrentNetwork
    public let samples: Int
    private let workspace: Workspace
    private let state: HiddenState
    /// Whether stream i has just been fed a token (else its logits are those of h = 0: the bias).
    private var primed = false

    /// For each stream of the last ``generate(length:settings:forms:excluded:stop:stopAfter:using:emit:)``:
    /// the natural log of the model's own probability of its drawn tokens (temperature 1, no
    /// mask or cut-off), summed.
    public private(set) var logProbabilities: [Double] = []
    /// For each stream of the last `generate`: the smallest share of the model's own probability
    /// that a verse form's mask of more than one token kept at a step (1 when there was none).
    /// Near 0, the form forced a character the model did not expect.
    public private(set) var weakestMaskProbability: [Double] = []

    /// For a conditional generator: the category every step is conditioned on, and how many
    /// categories come before the letters in the input.
    private let condition: (category: Int32, count: Int32)?

    /// - Parameter threads: threads for the decoder of a large vocabulary (see
    ///   `Workspace.prepareForInference`); the text does not depend on it.
    public init(network: RecurrentNetwork, samples: Int, category: (index: Int, count: Int)? = nil, threads: Int = 1) {
        self.network = network
        self.samples = samples
        condition = category.map { (Int32($0.index), Int32($0.count)) }
        workspace = Workspace(shape: network.shape, batch: samples, steps: 1)
        workspace.prepareForInference(network, threads: threads)
        state = HiddenState(shape: network.shape, batch: samples)
    }

    /// Feeds the same tokens to every stream (the prime and the seed).
    public func prime(_ tokens: [Int32]) {
        for token in tokens { feed([Int32](repeating: token, count: samples)) }
    }

    /// Feeds one token per stream.
    public func feed(_ tokens: [Int32]) {
        if let condition {
            let inputs = [Int32](repeating: condition.category, count: samples) + tokens.map { condition.count + $0 }
            workspace.step(network, tokens: inputs, planes: 2, state: state)
        } else {
            workspace.step(network, tokens: tokens, state: state)
        }
        primed = true
    }

    /// Generates up to `length` tokens per stream.
    ///
    /// - Parameters:
    ///   - settings: temperature, top-k, top-p.
    ///   - forms: one verse form per stream (already advanced through the seed), or nil.
    ///   - excluded: ids never to draw (the unknown token).
    ///   - stop: an id that ends a stream when drawn (the end token); it is not part of the output.
    ///   - stopAfter: a sequence of ids that ends a stream once its output ends with it (two line
    ///     breaks: the end of a paragraph); it is part of the output. Empty: none.
    ///   - emit: called with (stream, token) as each token is drawn, in order; an error it
    ///     throws (such as `.cancelled`) stops the generation and is thrown on.
    /// - Returns: the drawn tokens of each stream.
    /// - Throws: `GenerationError.verseForm` when a form cannot be met (a token that breaks it,
    ///   or a step where a regulated form allows no token of the vocabulary); `.notANumber` when the
    ///   network's scores for a stream hold a NaN (weights so large that float32 overflows).
    ///   Infinite scores are not an error: the sampler shares the probability among the tokens
    ///   scored +∞ (see ``sampleToken(logits:settings:mask:using:)-([Float],_,_,_)``).
    /// - Complexity: `length` steps of the network for all streams at once.
    public func generate(
        length: Int, settings: SamplingSettings, forms: [VerseForm]?, excluded: [Int] = [], stop: Int? = nil,
        stopAfter: [Int] = [], using rng: inout some RandomNumberGenerator,
        emit: (Int, Int) throws(GenerationError) -> Void = { _, _ in }
    ) throws(GenerationError) -> [[Int]] {
        let v = network.shape.outputSize
        var forms = forms
        var free = TokenMask.all(count: v)
        for id in excluded { free.remove(id) }
        var output = [[Int]](repeating: [], count: samples)
        var finished = [Bool](repeating: false, count: samples)
        let bias = network.zeroStateOutput  // the output before any input: a linear decoder's bias, i2o's for the tutorial cell
        logProbabilities = [Double](repeating: 0, count: samples)
        weakestMaskProbability = [Double](repeating: 1, count: samples)
        for step in 0..<length {
            var next = [Int32](repeating: 0, count: samples)
            for s in 0..<samples where !finished[s] {
                var mask = free
                if let form = forms?[s] {
                    switch form.next() {
                    case .done:
                        finished[s] = true
                        continue
                    case .only(let allowed):
                        if allowed.allowedCount == 0 {
                            throw .verseForm(.nothingFits(position: form.position, expected: form.expectation))
                        }
                        mask = allowed
                    case .free: break
                    }
                }
                let forced = mask.allowedCount > 1 && forms != nil ? mask : nil
                let (token, logP, kept) = try bias.withUnsafeBufferPointer { bias throws(GenerationError) in
                    let logits = primed ? workspace.logits(ofStream: s) : bias
                    if logits.contains(where: \.isNaN) { throw .notANumber(position: step + 1) }
                    let token = sampleToken(logits: logits, settings: settings, mask: mask, using: &rng)
                    let (logP, kept) = ownProbability(logits: logits, token: token, mask: forced)
                    return (token, logP, kept)
                }
                logProbabilities[s] += logP
                weakestMaskProbability[s] = min(weakestMaskProbability[s], kept)
                if token == stop {
                    finished[s] = true
                    continue
                }
                do { try forms?[s].advance(token) } catch { throw .verseForm(error) }
                output[s].append(token)
                next[s] = Int32(token)
                try emit(s, token)
                if !stopAfter.isEmpty && output[s].count >= stopAfter.count && output[s].suffix(stopAfter.count).elementsEqual(stopAfter) {
                    finished[s] = true
                }
            }
            if finished.allSatisfy({ $0 }) { break }
            feed(next)
        }
        return output
    }
}

/// The model's own log-probability of `token` (softmax of the logits at temperature 1), and the
/// probability `mask` keeps (1 without a mask). Infinite logits give −∞ or NaN, which the
/// callers only report.
private func ownProbability(logits: UnsafeBufferPointer<Float>, token: Int, mask: TokenMask?) -> (Double, Double) {
    let top = Double(logits.max() ?? 0)
    var sum = 0.0
    for l in logits { sum += exp(Double(l) - top) }
    let logP = Double(logits[token]) - top - log(sum)
    guard let mask else { return (logP, 1) }
    var kept = 0.0
    for id in mask.allowedIDs { kept += exp(Double(logits[id]) - top) }
    return (logP, kept / sum)
}
