// The tutorial cell (the 2017 PyTorch tutorial's SimpleRNN) against PyTorch (fixtures written by
// Fixtures/make_tutorial_fixtures.py from the tutorial's own class, run one step at a time as the
// tutorial runs it) and against central differences of an independent Float64 implementation.

import Foundation
import SafeTensors
import Testing
import TestSupport
import Tensor
@testable import Model

/// The tutorial's network in Double, written from its equations, reading the tensors by name in
/// PyTorch's layout (i2h.weight [H, In + H], i2o.weight [Out, In + H]).
struct TutorialReference {
    var shape: NetworkShape
    var tensors: [String: [Double]]

    init(_ network: RecurrentNetwork) {
        shape = network.shape
        tensors = [:]
        for entry in network.layout.entries { tensors[entry.name] = entry.read(from: network.parameters).map(Double.init) }
    }

    /// One step of one stream: (log-probabilities of the output, the new hidden state).
    func step(x: [Double], h: [Double]) -> (logProbabilities: [Double], h: [Double]) {
        let combined = x + h, width = combined.count, out = shape.outputSize
        let wh = tensors["i2h.weight"]!, bh = tensors["i2h.bias"]!, wo = tensors["i2o.weight"]!, bo = tensors["i2o.bias"]!
        let newH = (0..<shape.hiddenSize).map { i in bh[i] + (0..<width).reduce(0.0) { $0 + wh[i * width + $1] * combined[$1] } }
        let logits = (0..<out).map { o in bo[o] + (0..<width).reduce(0.0) { $0 + wo[o * width + $1] * combined[$1] } }
        let m = logits.max()!
        let logSum = Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp($1 - m) }) + m
        return (logits.map { $0 - logSum }, newH)
    }

    /// The one-hot (or two-hot) input of stream s at step t.
    func input(_ inputs: [Int32], planes: Int, steps: Int, batch: Int, t: Int, s: Int) -> [Double] {
        var x = [Double](repeating: 0, count: shape.inputSize)
        for p in 0..<planes { x[Int(inputs[(p * steps + t) * batch + s])] += 1 }
        return x
    }

    /// Mean NLL of a language model over the scored positions (each stream's first `lengths`
    /// steps, or all), from h0 (B × H).
    func languageModelLoss(inputs: [Int32], planes: Int, targets: [Int32], batch: Int, steps: Int, h0: [Float],
                           lengths: [Int32]? = nil) -> Double
    {
        let hidden = shape.hiddenSize
        var total = 0.0, count = 0
        for s in 0..<batch {
            var h = (0..<hidden).map { Double(h0[s * hidden + $0]) }
            for t in 0..<Int(lengths?[s] ?? Int32(steps)) {
                let result = step(x: input(inputs, planes: planes, steps: steps, batch: batch, t: t, s: s), h: h)
                total -= result.logProbabilities[Int(targets[t * batch + s])]
                count += 1
                h = result.h
            }
        }
        return total / Double(count)
    }

    /// The tutorial's classifier: each sequence from a zero state, the output of its last letter;
    /// returns the mean NLL and each sequence's log-probabilities.
    func classifierLoss(inputs: [Int32], lengths: [Int32], categories: [Int32], steps: Int) -> (Double, [[Double]]) {
        let batch = lengths.count
        var total = 0.0, outputs: [[Double]] = []
        for s in 0..<batch {
            var h = [Double](repeating: 0, count: shape.hiddenSize), last: [Double] = []
            for t in 0..<Int(lengths[s]) {
                (last, h) = step(x: input(inputs, planes: 1, steps: steps, batch: batch, t: t, s: s), h: h)
            }
            total -= last[Int(categories[s])]
            outputs.append(last)
        }
        return (total / Double(batch), outputs)
    }
}

/// log-softmax of each row of `values` (rows × columns).
private func logSoftmax(_ values: [Float], columns: Int) -> [Float] {
    stride(from: 0, to: values.count, by: columns).flatMap { start -> [Float] in
        let row = values[start..<(start + columns)].map(Double.init)
        let m = row.max()!
        let logSum = Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - m) }) + m
        return row.map { Float($0 - logSum) }
    }
}

/// Central differences of `loss` against `gradients`, every element of every tensor; the
/// tolerance (1e-6 absolute + 1e-4 relative) of GradientCheckTests.
private func checkTutorialGradients(_ network: RecurrentNetwork, _ gradients: FloatBuffer,
                                    _ loss: (TutorialReference) -> Double) -> [String: Double]
{
    var reference = TutorialReference(network)
    let epsilon = 1e-6
    var worst: [String: Double] = [:]
    for entry in network.layout.entries {
        let analytic = entry.read(from: gradients), original = reference.tensors[entry.name]!
        var maxDifference = 0.0
        for i in 0..<entry.count {
            reference.tensors[entry.name]![i] = original[i] + epsilon
            let up = loss(reference)
            reference.tensors[entry.name]![i] = original[i] - epsilon
            let down = loss(reference)
            reference.tensors[entry.name]![i] = original[i]
            let numeric = (up - down) / (2 * epsilon), difference = abs(numeric - Double(analytic[i]))
            maxDifference = max(maxDifference, difference)
            #expect(difference <= 1e-6 + 1e-4 * abs(numeric), "\(entry.name)[\(i)]: numeric \(numeric) analytic \(analytic[i])")
        }
        worst[entry.name] = maxDifference
        #expect(analytic.contains { $0 != 0 }, "\(entry.name) has an all-zero gradient")
    }
    return worst
}

@Suite("The tutorial cell")
struct TutorialCellTests {
    static func fixture(_ name: String) throws -> (model: ModelFile, data: SafeTensorsFile) {
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/"
        return (try ModelFile(contentsOf: folder + "tutorial_\(name).model.safetensors"),
                try SafeTensorsFile(contentsOf: folder + "tutorial_\(name).data.safetensors"))
    }

    /// Every parameter after one update of `kind` from the fixture's weights, against PyTorch's.
    static func checkStep(_ kind: OptimizerKind, rate: Float, model name: String, data: SafeTensorsFile,
                          gradient: (RecurrentNetwork, FloatBuffer) -> Void) throws
    {
        let network = try fixture(name).model.network
        let gradients = FloatBuffer(count: network.parameterCount)
        gradient(network, gradients)
        var settings = OptimizerSettings(kind: kind, learningRate: rate)
        settings.momentum = 0  // the tutorial's plain SGD
        Optimizer(settings, count: network.parameterCount).update(network.parameters, gradients, rate: rate)
        for entry in network.layout.entries {
            let prefix = kind == .sgd ? "sgd." : "adam."
            let result = compare(entry.read(from: network.parameters), try data.floats(prefix + entry.name, shape: entry.shape))
            #expect(result.ok, "\(entry.name) after one \(kind) step differs by up to \(result.maxDifference)")
        }
    }

    @Test func languageModelMatchesPyTorch() throws {
        let (model, data) = try Self.fixture("lm")
        let network = model.network
        let (t, b, v, h) = (5, 3, 7, 6)
        #expect(network.shape.cell == .tutorial && network.shape.hiddenSize == h && network.shape.outputSize == v)
        #expect(network.layout.entries.map(\.name) == ["i2h.weight", "i2h.bias", "i2o.weight", "i2o.bias"])
        let inputs = try PyTorchFixtureTests.ids(data, "inputs"), targets = try PyTorchFixtureTests.ids(data, "targets")
        let h0 = try data.floats("h0", shape: [b, h])
        func state() -> HiddenState {
            let state = HiddenState(shape: network.shape, batch: b)
            for i in 0..<(b * h) { state.h[0][i] = h0[i] }
            return state
        }
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let carried = state()
        inputs.withUnsafeBufferPointer { workspace.forward(network, inputs: $0.baseAddress!, planes: 1, state: carried) }
        let logProbabilities = compare(logSoftmax(workspace.logits.array, columns: v), try data.floats("logprobs", shape: [t, b, v]))
        #expect(logProbabilities.ok, "log-probabilities differ by up to \(logProbabilities.maxDifference)")
        let hT = compare(carried.h[0].array, try data.floats("hT", shape: [b, h]))
        #expect(hT.ok, "final hidden state differs by up to \(hT.maxDifference)")

        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state(), gradients: gradients,
                                               lossScale: 1 / Float(t * b))
        #expect(matchesPyTorch(Float(loss / Double(t * b)), try data.floats("loss")[0]))
        var report = ["log-probabilities": logProbabilities.maxDifference, "hT": hT.maxDifference]
        try expectGradientsMatch(network, gradients, data, report: &report)
        for (kind, rate) in [(OptimizerKind.sgd, Float(0.1)), (.adam, 0.01)] {
            try Self.checkStep(kind, rate: rate, model: "lm", data: data) { network, gradients in
                _ = Workspace(shape: network.shape, batch: b, steps: t).languageModelLoss(
                    network, inputs: inputs, targets: targets, state: state(), gradients: gradients, lossScale: 1 / Float(t * b))
            }
        }
        print("PyTorch fixture, tutorial language model, max |difference|: "
              + describe(report))
    }

    @Test func classifierMatchesPyTorch() throws {
        let (model, data) = try Self.fixture("classifier")
        let network = model.network
        let (b, c) = (4, 4)
        let lengths = try PyTorchFixtureTests.ids(data, "lengths"), categories = try PyTorchFixtureTests.ids(data, "categories")
        let inputs = try PyTorchFixtureTests.ids(data, "inputs"), t = inputs.count / b
        func loss(_ network: RecurrentNetwork, _ gradients: FloatBuffer?, _ workspace: Workspace) -> Double {
            workspace.classifierLoss(network, inputs: inputs, lengths: lengths, categories: categories, gradients: gradients,
                                     lossScale: 1 / Float(b))
        }
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let gradients = FloatBuffer(count: network.parameterCount)
        let total = loss(network, gradients, workspace)
        #expect(matchesPyTorch(Float(total / Double(b)), try data.floats("loss")[0]))
        let logits = (0..<b).flatMap { Array(workspace.logits(ofStream: $0)) }
        let logProbabilities = compare(logSoftmax(logits, columns: c), try data.floats("logprobs", shape: [b, c]))
        #expect(logProbabilities.ok, "log-probabilities differ by up to \(logProbabilities.maxDifference)")
        var unreported: [String: Float] = [:]
        try expectGradientsMatch(network, gradients, data, report: &unreported)
        // Without gradients, the same loss and logits.
        let again = Workspace(shape: network.shape, batch: b, steps: t)
        #expect(abs(loss(network, nil, again) - total) <= 1e-6 * total)
        #expect((0..<b).flatMap { Array(again.logits(ofStream: $0)) } == logits)
        for (kind, rate) in [(OptimizerKind.sgd, Float(0.005)), (.adam, 0.01)] {
            try Self.checkStep(kind, rate: rate, model: "classifier", data: data) { network, gradients in
                _ = loss(network, gradients, Workspace(shape: network.shape, batch: b, steps: t))
            }
        }
    }

    /// A language model of one or two planes (a conditional generator), with and without
    /// sequences of different lengths, and a classifier: every gradient by central differences.
    @Test(arguments: [(1, false), (2, false), (1, true), (2, true)])
    func gradientsByCentralDifferences(planes: Int, ragged: Bool) throws {
        let (batch, steps) = (3, 4)
        let shape = NetworkShape(inputSize: 6, hiddenSize: 5, outputSize: 4, cell: .tutorial)
        var rng = SeededGenerator(seed: UInt64(planes * 2 + (ragged ? 1 : 0)))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(planes * steps * batch)).map { _ in Int32(rng.next() % 6) }
        let targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % 4) }
        let lengths: [Int32]? = ragged ? [4, 1, 3] : nil
        let h0 = (0..<(batch * 5)).map { _ in rng.uniform(-0.5, 0.5) }
        let state = HiddenState(shape: shape, batch: batch)
        for i in 0..<(batch * 5) { state.h[0][i] = h0[i] }
        let scored = lengths.map { Int($0.reduce(0, +)) } ?? batch * steps
        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = Workspace(shape: shape, batch: batch, steps: steps).languageModelLoss(
            network, inputs: inputs, planes: planes, targets: targets, lengths: lengths, state: state, gradients: gradients,
            lossScale: 1 / Float(scored))
        func exact(_ reference: TutorialReference) -> Double {
            reference.languageModelLoss(inputs: inputs, planes: planes, targets: targets, batch: batch, steps: steps, h0: h0,
                                        lengths: lengths)
        }
        #expect(abs(loss / Double(scored) - exact(TutorialReference(network))) < 1e-5 * loss / Double(scored))
        if let lengths {  // a held stream keeps the state of its last real step
            for s in 0..<batch {
                var h = (0..<5).map { Double(h0[s * 5 + $0]) }
                let reference = TutorialReference(network)
                for t in 0..<Int(lengths[s]) {
                    h = reference.step(x: reference.input(inputs, planes: planes, steps: steps, batch: batch, t: t, s: s), h: h).h
                }
                #expect((0..<5).allSatisfy { abs(Double(state.h[0][s * 5 + $0]) - h[$0]) < 1e-4 })
            }
        }
        let worst = checkTutorialGradients(network, gradients, exact)
        print("tutorial cell, planes \(planes), ragged \(ragged): max |numeric − analytic| per tensor: \(worst)")
    }

    @Test func classifierGradientsByCentralDifferences() throws {
        let shape = NetworkShape(inputSize: 6, hiddenSize: 5, outputSize: 3, cell: .tutorial)
        var rng = SeededGenerator(seed: 40)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let lengths: [Int32] = [3, 1, 5, 2], categories: [Int32] = [2, 0, 1, 2], steps = 5
        let inputs = (0..<(steps * 4)).map { _ in Int32(rng.next() % 6) }
        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = Workspace(shape: shape, batch: 4, steps: steps).classifierLoss(
            network, inputs: inputs, lengths: lengths, categories: categories, gradients: gradients, lossScale: 1 / 4)
        func exact(_ reference: TutorialReference) -> Double {
            reference.classifierLoss(inputs: inputs, lengths: lengths, categories: categories, steps: steps).0
        }
        #expect(abs(loss / 4 - exact(TutorialReference(network))) < 1e-5 * loss / 4)
        _ = checkTutorialGradients(network, gradients, exact)
    }

    /// One step at a time (generation) gives the logits of the whole sequence at once, for a few
    /// streams and for more than `rowProductBatchLimit`.
    @Test(arguments: [1, 3, 9])
    func stepsMatchTheSequence(streams: Int) throws {
        let shape = NetworkShape(inputSize: 11, hiddenSize: 13, outputSize: 11, cell: .tutorial)
        var rng = SeededGenerator(seed: UInt64(streams))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let steps = 6
        let tokens = (0..<(steps * streams)).map { _ in Int32(rng.next() % 11) }
        let whole = Workspace(shape: shape, batch: streams, steps: steps)
        tokens.withUnsafeBufferPointer {
            whole.forward(network, inputs: $0.baseAddress!, planes: 1, state: HiddenState(shape: shape, batch: streams))
        }
        let one = Workspace(shape: shape, batch: streams, steps: 1)
        one.prepareForInference(network)
        let state = HiddenState(shape: shape, batch: streams)
        for t in 0..<steps {
            one.step(network, tokens: Array(tokens[(t * streams)..<((t + 1) * streams)]), state: state)
            for s in 0..<streams {
                let expected = Array(whole.logits.array[((t * streams + s) * 11)..<((t * streams + s + 1) * 11)])
                #expect(zip(Array(one.logits(ofStream: s)), expected).allSatisfy { abs($0 - $1) <= 1e-5 })
            }
        }
    }

    /// nn.Linear's initialisation: every weight and bias uniform in ±1/√(In + H).
    @Test func initialisationIsNNLinears() {
        let shape = NetworkShape(inputSize: 57, hiddenSize: 128, outputSize: 18, cell: .tutorial)
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        #expect(network.parameterCount == (128 + 18) * (57 + 128 + 1))
        let bound = 1 / Float(57 + 128).squareRoot()
        let values = network.parameters.array
        #expect(values.allSatisfy { abs($0) <= bound })
        #expect(values.max()! > 0.99 * bound && values.min()! < -0.99 * bound)
    }

    /// The model file holds PyTorch's names and shapes and reads back identically; the metadata
    /// refuses a tutorial cell of two layers and counts its parameters.
    @Test func modelFileAndMetadata() throws {
        let (model, _) = try Self.fixture("classifier")
        let file = try TemporaryFile([], name: "model.safetensors")
        try model.write(to: file.path)
        let again = try ModelFile(contentsOf: file.path)
        #expect(again.network.parameters.array == model.network.parameters.array && again.metadata == model.metadata)
        let raw = try SafeTensorsFile(contentsOf: file.path)
        let shapes = try ["i2h.weight", "i2h.bias", "i2o.weight", "i2o.bias"].map { try raw.tensor($0).shape }
        #expect(shapes == [[6, 7 + 6], [6], [4, 7 + 6], [4]])
        #expect(model.metadata.parameterCount == model.network.parameterCount)
        #expect(throws: ModelMetadataError.self) {
            try ModelMetadata(task: .classifier, cell: .tutorial, hiddenSize: 6, numLayers: 2, vocab: ["a", "b"],
                              categories: ["x", "y"])
        }
    }
}
