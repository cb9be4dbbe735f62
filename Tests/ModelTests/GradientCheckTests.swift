// Backpropagation through time checked by central differences on an independent Float64
// implementation of the same network, written here from the equations.

import Foundation
import Testing
import Tensor
@testable import Model

/// The Elman language model in Double, from PyTorch's equations, reading the network's tensors
/// by name in PyTorch's layout. Deliberately naive: the oracle for the fast Float32 code.
struct DoubleReference {
    var shape: NetworkShape
    var tensors: [String: [Double]]

    init(_ network: RecurrentNetwork) {
        shape = network.shape
        tensors = [:]
        for entry in network.layout.entries { tensors[entry.name] = entry.read(from: network.parameters).map(Double.init) }
    }

    /// Mean cross-entropy over T × B positions; inputs are planes × T × B, h0 is per layer B × H.
    func loss(inputs: [Int32], planes: Int, targets: [Int32], batch: Int, steps: Int, h0: [[Float]]) -> Double {
        let h = shape.hiddenSize
        var state = h0.map { $0.map(Double.init) }
        var total = 0.0
        for t in 0..<steps {
            var below: [[Double]] = []  // per stream, the input of the current layer
            for layer in 0..<shape.layers {
                let wih = tensors["rnn.weight_ih_l\(layer)"]!, whh = tensors["rnn.weight_hh_l\(layer)"]!
                let bih = tensors["rnn.bias_ih_l\(layer)"]!, bhh = tensors["rnn.bias_hh_l\(layer)"]!
                let inputWidth = layer == 0 ? shape.inputSize : h
                var next: [[Double]] = []
                for s in 0..<batch {
                    var x = [Double](repeating: 0, count: inputWidth)
                    if layer == 0 {
                        for p in 0..<planes { x[Int(inputs[(p * steps + t) * batch + s])] += 1 }
                    } else {
                        x = below[s]
                    }
                    var hNew = [Double](repeating: 0, count: h)
                    for i in 0..<h {
                        var sum = bih[i] + bhh[i]
                        for j in 0..<inputWidth { sum += wih[i * inputWidth + j] * x[j] }
                        for j in 0..<h { sum += whh[i * h + j] * state[layer][s * h + j] }
                        hNew[i] = Foundation.tanh(sum)
                    }
                    next.append(hNew)
                }
                for s in 0..<batch { for i in 0..<h { state[layer][s * h + i] = next[s][i] } }
                below = next
            }
            let wdec = tensors["decoder.weight"]!, bdec = tensors["decoder.bias"]!
            for s in 0..<batch {
                let logits = (0..<shape.outputSize).map { o in
                    bdec[o] + (0..<h).reduce(0.0) { $0 + wdec[o * h + $1] * below[s][$1] }
                }
                let m = logits.max()!
                let logSum = Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp($1 - m) }) + m
                total -= logits[Int(targets[t * batch + s])] - logSum
            }
        }
        return total / Double(batch * steps)
    }
}

@Suite("Gradients by central differences")
struct GradientCheckTests {
    @Test(arguments: [(1, 1), (2, 1), (1, 2), (2, 2)])
    func everyParameterOfATinyNetwork(layers: Int, planes: Int) throws {
        let (batch, steps) = (3, 4)
        let shape = NetworkShape(inputSize: 6, hiddenSize: 5, layers: layers, outputSize: 4)
        var rng = SeededGenerator(seed: UInt64(10 * layers + planes))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        // Larger weights than the default, so that tanh is exercised away from its linear part.
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(planes * steps * batch)).map { _ in Int32(rng.next() % 6) }
        let targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % 4) }
        let h0 = (0..<layers).map { _ in (0..<(batch * 5)).map { _ in rng.uniform(-0.5, 0.5) } }

        let state = HiddenState(layers: layers, batch: batch, hiddenSize: 5)
        for l in 0..<layers { for i in 0..<(batch * 5) { state.layers[l][i] = h0[l][i] } }
        let gradients = FloatBuffer(count: network.parameterCount)
        let workspace = Workspace(shape: shape, batch: batch, steps: steps)
        let loss = workspace.languageModelLoss(network, inputs: inputs, planes: planes, targets: targets, state: state,
                                               gradients: gradients, lossScale: 1 / Float(batch * steps))
        var reference = DoubleReference(network)
        let exact = reference.loss(inputs: inputs, planes: planes, targets: targets, batch: batch, steps: steps, h0: h0)
        #expect(abs(loss / Double(batch * steps) - exact) < 1e-5 * exact)

        // Every element of every tensor: (L(θ + ε) − L(θ − ε)) / 2ε in Double against the
        // Float32 backward. Tolerance: 1e-6 absolute + 1e-4 relative (seen: at most 1.3e-7).
        let epsilon = 1e-6
        var worst: [String: Double] = [:]
        for entry in network.layout.entries {
            let analytic = entry.read(from: gradients)
            let original = reference.tensors[entry.name]!
            var maxDifference = 0.0
            for i in 0..<entry.count {
                reference.tensors[entry.name]![i] = original[i] + epsilon
                let up = reference.loss(inputs: inputs, planes: planes, targets: targets, batch: batch, steps: steps, h0: h0)
                reference.tensors[entry.name]![i] = original[i] - epsilon
                let down = reference.loss(inputs: inputs, planes: planes, targets: targets, batch: batch, steps: steps, h0: h0)
                reference.tensors[entry.name]![i] = original[i]
                let numeric = (up - down) / (2 * epsilon)
                let difference = abs(numeric - Double(analytic[i]))
                maxDifference = max(maxDifference, difference)
                #expect(difference <= 1e-6 + 1e-4 * abs(numeric), "\(entry.name)[\(i)]: numeric \(numeric) analytic \(analytic[i])")
            }
            worst[entry.name] = maxDifference
            // A gradient that is all zeros would pass trivially; every tensor here takes part.
            #expect(analytic.contains { $0 != 0 }, "\(entry.name) has an all-zero gradient")
        }
        print("layers \(layers), planes \(planes): max |numeric − analytic| per tensor: \(worst)")
    }

    /// The gradient does not flow into the carried state: it is the same whatever the state's
    /// own history, and the state after a batch is the last step's h.
    @Test func stateIsCarriedAndGradientCutAtTheBatchBoundary() {
        let shape = NetworkShape(inputSize: 4, hiddenSize: 3, layers: 2, outputSize: 4)
        var rng = SeededGenerator(seed: 7)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let workspace = Workspace(shape: shape, batch: 2, steps: 3)
        let inputs: [Int32] = [0, 1, 2, 3, 1, 0], targets: [Int32] = [1, 2, 3, 1, 0, 2]
        let state = HiddenState(layers: 2, batch: 2, hiddenSize: 3)
        _ = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state, gradients: nil, lossScale: 1)
        // Running the same 6 steps as one batch of 6 equals two batches of 3 with the state carried.
        let long = Workspace(shape: shape, batch: 2, steps: 6)
        let fresh = HiddenState(layers: 2, batch: 2, hiddenSize: 3)
        let both = long.languageModelLoss(network, inputs: inputs + inputs, targets: targets + targets, state: fresh,
                                          gradients: nil, lossScale: 1)
        let second = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state, gradients: nil,
                                                 lossScale: 1)
        let first = workspace.languageModelLoss(network, inputs: inputs, targets: targets,
                                                state: HiddenState(layers: 2, batch: 2, hiddenSize: 3), gradients: nil,
                                                lossScale: 1)
        #expect(abs((first + second) - both) < 1e-5 * both)
        for l in 0..<2 { #expect(state.layers[l].array == fresh.layers[l].array) }
    }
}
