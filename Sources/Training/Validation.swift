// MARK: - The validation split and validation loss

import Model
import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a corpus of `tokens` is cut into training and validation parts: the last `fraction` of
/// the text is held out, starting at the first paragraph after the cut (a token preceded by two
/// newline tokens), or else the first line, or else exactly at the cut. Whole paragraphs (poems,
/// chapters) are held out, so no text is split between the two parts mid-paragraph.
///
/// - Parameters:
///   - newline: the id of the "\n" token, if the vocabulary has one.
/// - Returns: the index of the first validation token (`tokens.count` when nothing is held out).
public func validationStart(tokens: [Int32], fraction: Double, newline: Int32?) -> Int {
    let n = tokens.count
    guard fraction > 0, n > 0 else { return n }
    let cut = min(n, max(1, Int((1 - fraction) * Double(n))))
    guard let newline else { return cut }
    var lineStart: Int?
    for i in max(cut, 2)..<n where tokens[i - 1] == newline {
        if tokens[i - 2] == newline { return i }
        if lineStart == nil { lineStart = i }
    }
    return lineStart ?? cut
}

/// The mean cross-entropy in nats per token of a language model on `tokens`, scored as B
/// parallel streams from a zero state (the text cut into B equal parts, each scored from its
/// own start, T steps per pass): as training sees text, and B times faster than one stream.
/// Every token but the first of each stream is scored. Short texts are scored as one stream.
public func validationLoss(_ network: RecurrentNetwork, tokens: [Int32], batch: Int, steps: Int) -> Double {
    validationLoss(network, tokens: tokens, batch: batch, steps: steps, cancel: CancellationToken())!
}

/// The same, given up (nil) as soon as `cancel` is set, checked after every T steps: a long
/// held-out text cannot hold up a run that was asked to stop.
func validationLoss(_ network: RecurrentNetwork, tokens: [Int32], batch: Int, steps: Int, cancel: CancellationToken)
    -> Double?
{
    let length = (tokens.count - 1) / batch  // scored tokens per stream
    guard batch > 1, length >= steps else {
        return cancel.isCancelled ? nil : evaluateLanguageModel(network, tokens: tokens, chunk: steps).nats
    }
    let state = HiddenState(shape: network.shape, batch: batch)
    var workspaces: [Int: Workspace] = [:]
    var total = 0.0
    var start = 0
    while start < length {
        if cancel.isCancelled { return nil }
        let t = min(steps, length - start)
        let workspace = workspaces[t] ?? Workspace(shape: network.shape, batch: batch, steps: t)
        workspaces[t] = workspace
        var inputs = [Int32](repeating: 0, count: t * batch), targets = inputs
        for s in 0..<batch {
            let base = s * length + start
            for step in 0..<t {
                inputs[step * batch + s] = tokens[base + step]
                targets[step * batch + s] = tokens[base + step + 1]
            }
        }
        total += workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state,
                                             gradients: nil, lossScale: 1)
        start += t
    }
    return total / Double(length * batch)
}

/// The entropy, in nats per token, of the tokens' own frequencies: the loss of a model that
/// knows only how common each letter is. A trained model should be well below it.
public func unigramEntropy(_ tokens: [Int32], vocabularySize: Int) -> Double {
    var counts = [Int](repeating: 0, count: vocabularySize)
    for t in tokens { counts[Int(t)] += 1 }
    let n = Double(tokens.count)
    return counts.reduce(0.0) { $1 == 0 ? $0 : $0 - Double($1) / n * log(Double($1) / n) }
}
