// Backpropagation through time checked by central differences on an independent Float64
// implementation of the same network, written here from the equations.

import Foundation
import Testing
import Tensor
@testable import Model

/// The language model in Double, from PyTorch's equations for `nn.RNN`, `nn.LSTM` and
/// `nn.GRU`, reading the network's tensors by name in PyTorch's layout. Deliberately naive: the
/// oracle for the fast Float32 code.
struct DoubleReference {
    var shape: NetworkShape
    var tensors: [String: [Double]]

    init(_ network: RecurrentNetwork) {
        shape = network.shape
        tensors = [:]
        for entry in network.layout.entries { tensors[entry.name] = entry.read(from: network.parameters).map(Double.init) }
    }

    /// One step of one layer for one stream: the new h and (LSTM) c from input x and h, c.
    func cellStep(layer: Int, x: [Double], h previous: [Double], c: [Double]) -> (h: [Double], c: [Double]) {
        let h = shape.hiddenSize, gh = shape.gateWidth, width = x.count
        let wih = tensors["rnn.weight_ih_l\(layer)"]!, whh = tensors["rnn.weight_hh_l\(layer)"]!
        let bih = tensors["rnn.bias_ih_l\(layer)"]!, bhh = tensors["rnn.bias_hh_l\(layer)"]!
        // The input side and the hidden side of every gate row, biases included.
        var a = [Double](repeating: 0, count: gh), b = [Double](repeating: 0, count: gh)
        for i in 0..<gh {
            a[i] = bih[i]
            for j in 0..<width { a[i] += wih[i * width + j] * x[j] }
            b[i] = bhh[i]
            for j in 0..<h { b[i] += whh[i * h + j] * previous[j] }
        }
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        switch shape.cell {
        case .rnnTanh:
            return ((0..<h).map { Foundation.tanh(a[$0] + b[$0]) }, [])
        case .lstm:
            var newC = [Double](repeating: 0, count: h), newH = newC
            for j in 0..<h {
                let i = sigmoid(a[j] + b[j]), f = sigmoid(a[h + j] + b[h + j])
                let g = Foundation.tanh(a[2 * h + j] + b[2 * h + j]), o = sigmoid(a[3 * h + j] + b[3 * h + j])
                newC[j] = f * c[j] + i * g
                newH[j] = o * Foundation.tanh(newC[j])
            }
            return (newH, newC)
        case .gru:
            var newH = [Double](repeating: 0, count: h)
            for j in 0..<h {
                let r = sigmoid(a[j] + b[j]), z = sigmoid(a[h + j] + b[h + j])
                let n = Foundation.tanh(a[2 * h + j] + r * b[2 * h + j])
                newH[j] = (1 - z) * n + z * previous[j]
            }
            return (newH, [])
        case .tutorial:
            preconditionFailure("the tutorial cell has its own reference (TutorialCellTests)")
        }
    }

    /// Mean cross-entropy over T × B positions; inputs are planes × T × B, h0 (and c0 for an
    /// LSTM) per layer B × H. `masks[layer]` (layers > 0), T × B × H, multiplies that layer's
    /// input (dropout).
    func loss(inputs: [Int32], planes: Int, targets: [Int32], batch: Int, steps: Int, h0: [[Float]],
              c0: [[Float]] = [], masks: [[Float]] = []) -> Double
    {
        let h = shape.hiddenSize
        var state = h0.map { $0.map(Double.init) }
        var cells = shape.cell == .lstm ? c0.map { $0.map(Double.init) } : []
        var total = 0.0
        for t in 0..<steps {
            var below: [[Double]] = []  // per stream, the input of the current layer
            for layer in 0..<shape.layers {
                let inputWidth = layer == 0 ? shape.inputSize : h
                var next: [[Double]] = []
                for s in 0..<batch {
                    var x = [Double](repeating: 0, count: inputWidth)
                    if layer == 0 {
                        for p in 0..<planes { x[Int(inputs[(p * steps + t) * batch + s])] += 1 }
                    } else {
                        x = below[s]
                        if !masks.isEmpty { for j in 0..<h { x[j] *= Double(masks[layer][(t * batch + s) * h + j]) } }
                    }
                    let previous = Array(state[layer][(s * h)..<((s + 1) * h)])
                    let c = cells.isEmpty ? [] : Array(cells[layer][(s * h)..<((s + 1) * h)])
                    let result = cellStep(layer: layer, x: x, h: previous, c: c)
                    next.append(result.h)
                    if !cells.isEmpty { for i in 0..<h { cells[layer][s * h + i] = result.c[i] } }
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
    /// Every cell with 1 and 2 layers, one or two one-hot planes (a conditional generator).
    static let configurations: [(CellKind, Int, Int)] = CellKind.stackable.flatMap { cell in
        [(cell, 1, 1), (cell, 2, 1), (cell, 1, 2), (cell, 2, 2)]
    }

    @Test(arguments: configurations)
    func everyParameterOfATinyNetwork(cell: CellKind, layers: Int, planes: Int) throws {
        let (batch, steps) = (3, 4)
        let shape = NetworkShape(inputSize: 6, hiddenSize: 5, layers: layers, outputSize: 4, cell: cell)
        var rng = SeededGenerator(seed: UInt64(10 * layers + planes))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        // Larger weights than the default, so that tanh is exercised away from its linear part.
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(planes * steps * batch)).map { _ in Int32(rng.next() % 6) }
        let targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % 4) }
        let h0 = (0..<layers).map { _ in (0..<(batch * 5)).map { _ in rng.uniform(-0.5, 0.5) } }
        let c0 = cell == .lstm ? (0..<layers).map { _ in (0..<(batch * 5)).map { _ in rng.uniform(-1, 1) } } : []

        let state = HiddenState(shape: shape, batch: batch)
        for l in 0..<layers { for i in 0..<(batch * 5) { state.h[l][i] = h0[l][i] } }
        for l in c0.indices { for i in 0..<(batch * 5) { state.c[l][i] = c0[l][i] } }
        let gradients = FloatBuffer(count: network.parameterCount)
        let workspace = Workspace(shape: shape, batch: batch, steps: steps)
        let loss = workspace.languageModelLoss(network, inputs: inputs, planes: planes, targets: targets, state: state,
                                               gradients: gradients, lossScale: 1 / Float(batch * steps))
        var reference = DoubleReference(network)
        func exactLoss() -> Double {
            reference.loss(inputs: inputs, planes: planes, targets: targets, batch: batch, steps: steps, h0: h0, c0: c0)
        }
        let exact = exactLoss()
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
                let up = exactLoss()
                reference.tensors[entry.name]![i] = original[i] - epsilon
                let down = exactLoss()
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
        print("\(cell), layers \(layers), planes \(planes): max |numeric − analytic| per tensor: \(worst)")
    }

    /// The gradient does not flow into the carried state: it is the same whatever the state's
    /// own history, and the state after a batch (h, and an LSTM's c) is the last step's.
    @Test(arguments: CellKind.stackable)
    func stateIsCarriedAndGradientCutAtTheBatchBoundary(cell: CellKind) {
        let shape = NetworkShape(inputSize: 4, hiddenSize: 3, layers: 2, outputSize: 4, cell: cell)
        var rng = SeededGenerator(seed: 7)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let workspace = Workspace(shape: shape, batch: 2, steps: 3)
        let inputs: [Int32] = [0, 1, 2, 3, 1, 0], targets: [Int32] = [1, 2, 3, 1, 0, 2]
        let state = HiddenState(shape: shape, batch: 2)
        _ = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state, gradients: nil, lossScale: 1)
        // Running the same 6 steps as one batch of 6 equals two batches of 3 with the state carried.
        let long = Workspace(shape: shape, batch: 2, steps: 6)
        let fresh = HiddenState(shape: shape, batch: 2)
        let both = long.languageModelLoss(network, inputs: inputs + inputs, targets: targets + targets, state: fresh,
                                          gradients: nil, lossScale: 1)
        let second = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state, gradients: nil,
                                                 lossScale: 1)
        let first = workspace.languageModelLoss(network, inputs: inputs, targets: targets,
                                                state: HiddenState(shape: shape, batch: 2), gradients: nil, lossScale: 1)
        #expect(abs((first + second) - both) < 1e-5 * both)
        #expect(state.buffers.count == (cell == .lstm ? 4 : 2))
        for (carried, whole) in zip(state.buffers, fresh.buffers) {
            #expect(zip(carried.array, whole.array).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
    }

    /// Dropout between layers: the loss and every gradient are those of the reference with the
    /// workspace's masks applied to each upper layer's input; the masks hold 0 and 1/(1 − p)
    /// in about the right proportion, come from the seed alone, and a pass without dropout
    /// uses none.
    @Test(arguments: CellKind.stackable)
    func dropoutBetweenLayers(cell: CellKind) throws {
        let (batch, steps, hidden, p) = (3, 4, 5, Float(0.4))
        let shape = NetworkShape(inputSize: 6, hiddenSize: hidden, layers: 3, outputSize: 4, cell: cell)
        var rng = SeededGenerator(seed: 21)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(steps * batch)).map { _ in Int32(rng.next() % 6) }
        let targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % 4) }
        let h0 = [[Float]](repeating: [Float](repeating: 0, count: batch * hidden), count: 3)
        let c0 = cell == .lstm ? h0 : []
        let workspace = Workspace(shape: shape, batch: batch, steps: steps)
        let gradients = FloatBuffer(count: network.parameterCount)
        let dropout = Dropout(probability: p, seed: 99)
        let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: HiddenState(shape: shape, batch: batch),
                                               gradients: gradients, lossScale: 1 / Float(batch * steps), dropout: dropout)
        let masks = [[]] + (1..<3).map { workspace.dropoutMasks[$0].array }
        let values = masks.joined()
        #expect(values.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
        let dropped = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        #expect(abs(dropped - Double(p)) < 0.15, "dropped share \(dropped)")
        #expect(masks[1] != masks[2], "each layer draws its own mask")

        func exact(_ reference: DoubleReference) -> Double {
            reference.loss(inputs: inputs, planes: 1, targets: targets, batch: batch, steps: steps, h0: h0, c0: c0,
                           masks: masks)
        }
        let exactLoss = exact(DoubleReference(network))
        #expect(abs(loss / Double(batch * steps) - exactLoss) < 1e-5 * exactLoss)
        checkGradients(network, gradients, exact)

        // The same seed draws the same masks; no dropout is the reference without masks.
        _ = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: HiddenState(shape: shape, batch: batch),
                                        gradients: nil, lossScale: 1, dropout: dropout)
        #expect(workspace.dropoutMasks[1].array == masks[1] && workspace.dropoutMasks[2].array == masks[2])
        let plain = workspace.languageModelLoss(network, inputs: inputs, targets: targets,
                                                state: HiddenState(shape: shape, batch: batch), gradients: nil, lossScale: 1)
        let exactPlain = DoubleReference(network).loss(inputs: inputs, planes: 1, targets: targets, batch: batch,
                                                       steps: steps, h0: h0, c0: c0)
        #expect(abs(plain / Double(batch * steps) - exactPlain) < 1e-5 * exactPlain)
        #expect(abs(plain - loss) > 1e-3, "dropout changed nothing")
    }
}
