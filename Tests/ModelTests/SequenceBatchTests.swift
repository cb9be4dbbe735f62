// Batches of sequences of different lengths (names): the masked forward and backward give what
// each sequence gives alone, checked by central differences on a Float64 reference.

import Foundation
import Testing
import Tensor
@testable import Model

extension DoubleReference {
    /// The top layer's hidden state after each step of one sequence from h = 0 (and c = 0);
    /// `active[t]` lists the one-hot positions of step t.
    func topStates(_ active: [[Int32]]) -> [[Double]] {
        let h = shape.hiddenSize
        var state = [[Double]](repeating: [Double](repeating: 0, count: h), count: shape.layers)
        var cells = shape.cell == .lstm ? state : []
        var tops: [[Double]] = []
        for positions in active {
            var x = [Double](repeating: 0, count: shape.inputSize)
            for p in positions { x[Int(p)] += 1 }
            for layer in 0..<shape.layers {
                let result = cellStep(layer: layer, x: x, h: state[layer], c: cells.isEmpty ? [] : cells[layer])
                state[layer] = result.h
                if !cells.isEmpty { cells[layer] = result.c }
                x = result.h
            }
            tops.append(x)
        }
        return tops
    }

    /// −log softmax(W_dec h + b)[target].
    func crossEntropy(_ top: [Double], target: Int32) -> Double {
        let h = shape.hiddenSize, wdec = tensors["decoder.weight"]!, bdec = tensors["decoder.bias"]!
        let logits = (0..<shape.outputSize).map { o in bdec[o] + (0..<h).reduce(0.0) { $0 + wdec[o * h + $1] * top[$1] } }
        let m = logits.max()!
        return Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp($1 - m) }) + m - logits[Int(target)]
    }
}

/// Central differences of `loss` (a function of the reference's tensors) against `analytic`,
/// every element of every tensor; tolerance as in GradientCheckTests.
func checkGradients(_ network: RecurrentNetwork, _ analytic: FloatBuffer, _ loss: (DoubleReference) -> Double) {
    var reference = DoubleReference(network)
    let epsilon = 1e-6
    for entry in network.layout.entries {
        let gradient = entry.read(from: analytic)
        let original = reference.tensors[entry.name]!
        for i in 0..<entry.count {
            reference.tensors[entry.name]![i] = original[i] + epsilon
            let up = loss(reference)
            reference.tensors[entry.name]![i] = original[i] - epsilon
            let down = loss(reference)
            reference.tensors[entry.name]![i] = original[i]
            let numeric = (up - down) / (2 * epsilon)
            #expect(abs(numeric - Double(gradient[i])) <= 1e-6 + 1e-4 * abs(numeric),
                    "\(entry.name)[\(i)]: numeric \(numeric) analytic \(gradient[i])")
        }
    }
}

@Suite("Batches of sequences of different lengths")
struct SequenceBatchTests {
    static let lengths: [Int32] = [1, 4, 5, 2]
    static let steps = 5

    static func network(cell: CellKind, layers: Int, input: Int, output: Int, seed: UInt64) -> RecurrentNetwork {
        var rng = SeededGenerator(seed: seed)
        let shape = NetworkShape(inputSize: input, hiddenSize: 4, layers: layers, outputSize: output, cell: cell)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        return network
    }

    /// Letter ids, T × B, with padding (id 0) past each sequence's end.
    static func letters(seed: UInt64, vocabulary: Int) -> [Int32] {
        var rng = SeededGenerator(seed: seed)
        var ids = [Int32](repeating: 0, count: steps * lengths.count)
        for b in 0..<lengths.count { for t in 0..<Int(lengths[b]) { ids[t * lengths.count + b] = Int32(rng.next() % UInt64(vocabulary)) } }
        return ids
    }

    /// Every cell with 1 and 2 layers.
    static let configurations: [(CellKind, Int)] = CellKind.stackable.flatMap { [($0, 1), ($0, 2)] }

    @Test(arguments: configurations)
    func classifierMatchesEachSequenceAlone(cell: CellKind, layers: Int) throws {
        let b = Self.lengths.count
        let network = Self.network(cell: cell, layers: layers, input: 6, output: 3, seed: UInt64(layers))
        let inputs = Self.letters(seed: 9, vocabulary: 6)
        let categories: [Int32] = [2, 0, 1, 2]
        let weights: [Float] = [0.5, 1.5, 2]
        let workspace = Workspace(shape: network.shape, batch: b, steps: Self.steps)
        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = workspace.classifierLoss(network, inputs: inputs, lengths: Self.lengths, categories: categories,
                                            weights: weights, gradients: gradients, lossScale: 1 / Float(b))
        let batchLogits = (0..<b).map { Array(workspace.logits(ofStream: $0)) }

        // Each sequence alone, in a batch of one with exactly its length.
        for s in 0..<b {
            let n = Int(Self.lengths[s])
            let alone = Workspace(shape: network.shape, batch: 1, steps: n)
            let ids = (0..<n).map { inputs[$0 * b + s] }
            _ = alone.classifierLoss(network, inputs: ids, lengths: [Int32(n)], categories: [categories[s]],
                                     gradients: nil, lossScale: 1)
            let single = Array(alone.logits(ofStream: 0))
            #expect(zip(single, batchLogits[s]).allSatisfy { abs($0 - $1) <= 1e-6 }, "sequence \(s)")
        }

        func exact(_ reference: DoubleReference) -> Double {
            (0..<b).reduce(0.0) { total, s in
                let active = (0..<Int(Self.lengths[s])).map { [inputs[$0 * b + s]] }
                let top = reference.topStates(active).last!
                return total + Double(weights[Int(categories[s])]) * reference.crossEntropy(top, target: categories[s])
            } / Double(b)
        }
        #expect(abs(loss / Double(b) - exact(DoubleReference(network))) < 1e-5)
        checkGradients(network, gradients, exact)
    }

    @Test(arguments: configurations)
    func maskedLanguageModelMatchesEachSequenceAlone(cell: CellKind, layers: Int) throws {
        // A conditional generator's batch: plane 0 the category (ids 0..<2), plane 1 the letter
        // (ids 2..<7); each sequence is scored only over its own steps.
        let b = Self.lengths.count, t = Self.steps
        let network = Self.network(cell: cell, layers: layers, input: 7, output: 5, seed: UInt64(10 + layers))
        let letters = Self.letters(seed: 4, vocabulary: 5)
        let categoryOf: [Int32] = [0, 1, 1, 0]
        var inputs = [Int32](repeating: 0, count: 2 * t * b)
        for step in 0..<t {
            for s in 0..<b {
                inputs[step * b + s] = categoryOf[s]
                inputs[t * b + step * b + s] = 2 + letters[step * b + s]
            }
        }
        var targets = [Int32](repeating: 0, count: t * b)
        var rng = SeededGenerator(seed: 5)
        for i in 0..<targets.count { targets[i] = Int32(rng.next() % 5) }
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let gradients = FloatBuffer(count: network.parameterCount)
        let state = HiddenState(shape: network.shape, batch: b)
        let scored = Double(Self.lengths.reduce(0, +))
        let loss = workspace.languageModelLoss(network, inputs: inputs, planes: 2, targets: targets, lengths: Self.lengths,
                                               state: state, gradients: gradients, lossScale: Float(1 / scored))

        func exact(_ reference: DoubleReference) -> Double {
            var total = 0.0
            for s in 0..<b {
                let n = Int(Self.lengths[s])
                let active = (0..<n).map { [inputs[$0 * b + s], inputs[t * b + $0 * b + s]] }
                let tops = reference.topStates(active)
                for step in 0..<n { total += reference.crossEntropy(tops[step], target: targets[step * b + s]) }
            }
            return total / scored
        }
        #expect(abs(loss / scored - exact(DoubleReference(network))) < 1e-5)
        checkGradients(network, gradients, exact)
        // The state after the batch is each sequence's own last state.
        let reference = DoubleReference(network)
        for s in 0..<b {
            let n = Int(Self.lengths[s])
            let last = reference.topStates((0..<n).map { [inputs[$0 * b + s], inputs[t * b + $0 * b + s]] }).last!
            let held = Array(UnsafeBufferPointer(start: state.h[layers - 1].pointer + s * 4, count: 4))
            #expect(zip(held, last).allSatisfy { abs(Double($0) - $1) < 1e-5 }, "state of sequence \(s)")
        }
    }
}
