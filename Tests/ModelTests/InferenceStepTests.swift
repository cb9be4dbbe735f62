// One step at a time (generation): the few-stream route (weights read as stored) and the packed
// route both give the logits of a Float64 reference that runs each stream alone.

import Foundation
import Testing
import Tensor
@testable import Model

@Suite("Inference, one step at a time")
struct InferenceStepTests {
    /// Streams below `Workspace.rowProductBatchLimit` take the row-product route, the others the
    /// packed one; hidden sizes and vocabularies that are not multiples of the kernels' widths.
    static let configurations: [(CellKind, Int, Int)] = CellKind.stackable.flatMap { cell in
        [(cell, 1, 1), (cell, 1, 3), (cell, 2, 1), (cell, 2, 5), (cell, 1, 8), (cell, 2, 9)]
    }

    @Test(arguments: configurations)
    func stepsMatchTheReference(cell: CellKind, layers: Int, streams: Int) throws {
        let input = 11, hidden = 13, output = 37, steps = 6
        var rng = SeededGenerator(seed: UInt64(10 * layers + streams))
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: input, hiddenSize: hidden, layers: layers,
                                                           outputSize: output, cell: cell), rng: &rng)
        let workspace = Workspace(shape: network.shape, batch: streams, steps: 1)
        workspace.prepareForInference(network)
        let state = HiddenState(shape: network.shape, batch: streams)
        let tokens: [[Int32]] = (0..<steps).map { _ in (0..<streams).map { _ in Int32(rng.next() % UInt64(input)) } }
        let reference = DoubleReference(network)
        let decoder = reference.tensors["decoder.weight"]!, bias = reference.tensors["decoder.bias"]!
        var worst = 0.0
        for t in 0..<steps {
            workspace.step(network, tokens: tokens[t], state: state)
            for s in 0..<streams {
                let top = reference.topStates((0...t).map { [tokens[$0][s]] }).last!
                let logits = workspace.logits(ofStream: s)
                for v in 0..<output {
                    var exact = bias[v]
                    for j in 0..<hidden { exact += decoder[v * hidden + j] * top[j] }
                    worst = max(worst, abs(Double(logits[v]) - exact))
                }
            }
        }
        #expect(worst < 2e-5, "largest logit error \(worst)")
    }

    /// A large decoder split across threads gives the very same logits as on one thread.
    @Test func splittingTheDecoderChangesNothing() throws {
        let hidden = 256, output = 2_100  // 537,600 decoder weights: over the split threshold
        #expect(hidden * output >= Workspace.splitDecoderSize)
        var rng = SeededGenerator(seed: 4)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: 5, hiddenSize: hidden, outputSize: output), rng: &rng)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let workspace = Workspace(shape: network.shape, batch: 2, steps: 1)
            workspace.prepareForInference(network, threads: threads)
            let state = HiddenState(layers: 1, batch: 2, hiddenSize: hidden)
            var logits: [Float] = []
            for token: Int32 in [1, 4, 0] {
                workspace.step(network, tokens: [token, 4 - token], state: state)
                logits += Array(workspace.logits(ofStream: 0)) + Array(workspace.logits(ofStream: 1))
            }
            results.append(logits)
        }
        #expect(results[1] == results[0] && results[2] == results[0])
    }
}
