// The adaptive-softmax decoder (nn.AdaptiveLogSoftmaxWithLoss) against PyTorch's fixtures
// (Fixtures/make_adaptive_fixtures.py): full log-probabilities, the loss, every gradient and five
// Adam steps; against central differences on a Float64 reference written here; and its shape,
// metadata and file checks.

import Foundation
import SafeTensors
import Testing
import TestSupport
import Tensor
@testable import Model

@Suite("Adaptive softmax")
struct AdaptiveSoftmaxTests {
    static let configurations: [(String, CellKind, Int)] = [("rnn", .rnnTanh, 1), ("gru", .gru, 2)]
    static let (t, b, v, h) = (5, 3, 40, 12)

    static func fixture(_ name: String, _ layers: Int) throws -> (model: ModelFile, data: SafeTensorsFile) {
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/adaptive_"
        return (try ModelFile(contentsOf: folder + "\(name)_l\(layers).model.safetensors"),
                try SafeTensorsFile(contentsOf: folder + "\(name)_l\(layers).data.safetensors"))
    }

    @Test(arguments: configurations)
    func logProbabilitiesLossAndGradientsMatchPyTorch(name: String, cell: CellKind, layers: Int) throws {
        let (model, data) = try Self.fixture(name, layers)
        let network = model.network
        let (t, b, v, h) = (Self.t, Self.b, Self.v, Self.h)
        #expect(network.shape.adaptiveSoftmax == AdaptiveSoftmax(cutoffs: [8, 20], divValue: 2))
        #expect(model.metadata.decoder == network.shape.adaptiveSoftmax)
        let inputs = try PyTorchFixtureTests.ids(data, "inputs"), targets = try PyTorchFixtureTests.ids(data, "targets")
        let expected = try data.floats("log_prob", shape: [t, b, v])
        var report: [String: Float] = [:]

        // The full distribution, one step at a time, both ways a step can decode: reading the
        // weights as stored (a few streams) and through `forward` (the packed path).
        for packed in [false, true] {
            let state = try PyTorchFixtureTests.state(data, cell: cell, layers: layers, batch: b, hidden: h)
            let workspace = Workspace(shape: network.shape, batch: b, steps: 1)
            workspace.prepareForInference(network)
            var ours: [Float] = []
            for step in 0..<t {
                let tokens = Array(inputs[(step * b)..<((step + 1) * b)])
                if packed {
                    tokens.withUnsafeBufferPointer { workspace.forward(network, inputs: $0.baseAddress!, planes: 1, state: state) }
                } else {
                    workspace.step(network, tokens: tokens, state: state)
                }
                for s in 0..<b { ours += Array(workspace.logits(ofStream: s)) }
            }
            let result = compare(ours, expected)
            #expect(result.ok, "log_prob (packed: \(packed)) differs by up to \(result.maxDifference)")
            report["log_prob\(packed ? " packed" : "")"] = result.maxDifference
        }

        let state = try PyTorchFixtureTests.state(data, cell: cell, layers: layers, batch: b, hidden: h)
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state,
                                               gradients: gradients, lossScale: 1 / Float(t * b))
        let expectedLoss = try data.floats("loss")[0]
        #expect(matchesPyTorch(Float(loss / Double(t * b)), expectedLoss), "loss \(loss / Double(t * b)) vs \(expectedLoss)")
        report["loss"] = abs(Float(loss / Double(t * b)) - expectedLoss)
        let hT = compare(state.h.flatMap(\.array), try data.floats("hT", shape: [layers, b, h]))
        #expect(hT.ok, "final hidden state differs by up to \(hT.maxDifference)")
        // The loss without gradients (as eval and validation score) is the same sum.
        let scored = Workspace(shape: network.shape, batch: b, steps: t).languageModelLoss(
            network, inputs: inputs, targets: targets,
            state: try PyTorchFixtureTests.state(data, cell: cell, layers: layers, batch: b, hidden: h),
            gradients: nil, lossScale: 1)
        #expect(abs(scored - loss) <= 1e-9 * abs(loss))
        // and is −Σ log_prob[target]: eval's score is that of the full distribution.
        let fromFull = (0..<(t * b)).reduce(0.0) { $0 - Double(expected[$1 * v + Int(targets[$1])]) }
        #expect(abs(fromFull - loss) <= 1e-4 * abs(loss))

        let names = Set(network.layout.entries.map(\.name))
        #expect(names.isSuperset(of: ["decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight",
                                      "decoder.tail.1.0.weight", "decoder.tail.1.1.weight"]))
        #expect(!names.contains("decoder.weight") && !names.contains("decoder.bias"))
        try expectGradientsMatch(network, gradients, data, report: &report)
        print("Adaptive fixture, \(name), \(layers) layer(s), max |difference|: "
              + describe(report))
    }

    @Test(arguments: configurations)
    func fiveAdamStepsWithClipping(name: String, cell: CellKind, layers: Int) throws {
        let (model, data) = try Self.fixture(name, layers)
        let network = model.network
        try PyTorchFixtureTests.fiveAdamSteps(network, data, cell: cell, layers: layers, steps: Self.t, batch: Self.b, hidden: Self.h)
        for entry in network.layout.entries {
            let result = compare(entry.read(from: network.parameters), try data.floats("adam." + entry.name, shape: entry.shape))
            #expect(result.ok, "\(entry.name) after 5 Adam steps differs by up to \(result.maxDifference)")
        }
    }

    /// The file keeps PyTorch's names and shapes (those of its state_dict) and reads back the same.
    @Test func modelFileRoundTrip() throws {
        let (model, _) = try Self.fixture("gru", 2)
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/"
        let original = try SafeTensorsFile(contentsOf: folder + "adaptive_gru_l2.model.safetensors")
        let file = try TemporaryFile([], name: "adaptive.safetensors")
        try model.write(to: file.path)
        let again = try ModelFile(contentsOf: file.path)
        #expect(again.network.parameters.array == model.network.parameters.array)
        #expect(again.metadata == model.metadata)
        let raw = try SafeTensorsFile(contentsOf: file.path)
        #expect(Set(raw.names) == Set(original.names))
        for name in original.names { #expect(try raw.tensor(name).shape == original.tensor(name).shape) }
        #expect(try raw.tensor("decoder.head.weight").shape == [8 + 2, 12])
        #expect(try raw.tensor("decoder.tail.1.1.weight").shape == [20, 3])
        let json = raw.metadata["charrnn"]!
        #expect(json.contains(#""decoder":{"cutoffs":[8,20],"div_value":2,"kind":"adaptive"}"#), "\(json)")
    }

    /// Gradients of every weight, decoder and layers, by central differences on a Float64
    /// reference of the same network written from PyTorch's equations.
    @Test(arguments: [(CellKind.rnnTanh, 1), (.gru, 2)])
    func centralDifferences(cell: CellKind, layers: Int) {
        let (batch, steps, hidden, vocabulary) = (3, 3, 8, 11)
        let adaptive = AdaptiveSoftmax(cutoffs: [3, 7], divValue: 2)
        let shape = NetworkShape(inputSize: vocabulary, hiddenSize: hidden, layers: layers, outputSize: vocabulary,
                                 cell: cell, adaptiveSoftmax: adaptive)
        var rng = SeededGenerator(seed: 31 + UInt64(layers))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(steps * batch)).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        // Targets in the shortlist and in both clusters.
        var targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        (targets[0], targets[1], targets[2]) = (1, 5, 9)
        let h0 = (0..<layers).map { _ in (0..<(batch * hidden)).map { _ in rng.uniform(-0.5, 0.5) } }
        let state = HiddenState(shape: shape, batch: batch)
        for l in 0..<layers { for i in 0..<(batch * hidden) { state.h[l][i] = h0[l][i] } }
        let gradients = FloatBuffer(count: network.parameterCount)
        let loss = Workspace(shape: shape, batch: batch, steps: steps).languageModelLoss(
            network, inputs: inputs, targets: targets, state: state, gradients: gradients, lossScale: 1 / Float(batch * steps))
        var reference = DoubleReference(network)
        func exactLoss() -> Double {
            Self.referenceLoss(reference, adaptive, inputs: inputs, targets: targets, batch: batch, steps: steps, h0: h0)
        }
        let exact = exactLoss()
        #expect(abs(loss / Double(batch * steps) - exact) < 1e-5 * exact)
        let epsilon = 1e-6
        for entry in network.layout.entries {
            let analytic = entry.read(from: gradients)
            let original = reference.tensors[entry.name]!
            for i in 0..<entry.count {
                reference.tensors[entry.name]![i] = original[i] + epsilon
                let up = exactLoss()
                reference.tensors[entry.name]![i] = original[i] - epsilon
                let down = exactLoss()
                reference.tensors[entry.name]![i] = original[i]
                let numeric = (up - down) / (2 * epsilon)
                #expect(abs(numeric - Double(analytic[i])) <= 1e-6 + 1e-4 * abs(numeric),
                        "\(entry.name)[\(i)]: numeric \(numeric) analytic \(analytic[i])")
            }
            #expect(analytic.contains { $0 != 0 }, "\(entry.name) has an all-zero gradient")
        }
    }

    /// The mean −log p(target) in Double: the layers by `DoubleReference.cellStep`, then the
    /// full adaptive distribution written from its definition (not from the fast code).
    static func referenceLoss(_ reference: DoubleReference, _ adaptive: AdaptiveSoftmax, inputs: [Int32], targets: [Int32],
                              batch: Int, steps: Int, h0: [[Float]]) -> Double
    {
        let shape = reference.shape, h = shape.hiddenSize, v = shape.outputSize
        var state = h0.map { $0.map(Double.init) }
        var total = 0.0
        func product(_ name: String, _ x: [Double]) -> [Double] {
            let w = reference.tensors[name]!, columns = x.count
            return (0..<(w.count / columns)).map { i in (0..<columns).reduce(0.0) { $0 + w[i * columns + $1] * x[$1] } }
        }
        func logSoftmax(_ z: [Double]) -> [Double] {
            let m = z.max()!, s = Foundation.log(z.reduce(0.0) { $0 + Foundation.exp($1 - m) }) + m
            return z.map { $0 - s }
        }
        for t in 0..<steps {
            for s in 0..<batch {
                var x = [Double](repeating: 0, count: shape.inputSize)
                x[Int(inputs[t * batch + s])] = 1
                for layer in 0..<shape.layers {
                    let previous = Array(state[layer][(s * h)..<((s + 1) * h)])
                    x = reference.cellStep(layer: layer, x: x, h: previous, c: []).h
                    for i in 0..<h { state[layer][s * h + i] = x[i] }
                }
                let head = logSoftmax(product("decoder.head.weight", x))
                var full = Array(head[0..<adaptive.shortlistSize])
                for i in adaptive.cutoffs.indices {
                    let tail = logSoftmax(product("decoder.tail.\(i).1.weight", product("decoder.tail.\(i).0.weight", x)))
                    full += tail.map { $0 + head[adaptive.shortlistSize + i] }
                }
                precondition(full.count == v)
                total -= full[Int(targets[t * batch + s])]
            }
        }
        return total / Double(batch * steps)
    }

    @Test func theShapeFollowsPyTorch() {
        let a = AdaptiveSoftmax()
        #expect(a.cutoffs == [2000, 6000] && a.divValue == 4)
        #expect(a.headSize == 2002)
        #expect(a.projectionSize(0, hiddenSize: 256) == 64 && a.projectionSize(1, hiddenSize: 256) == 16)
        #expect(a.cluster(1, vocabularySize: 8728) == 6000..<8728)
        #expect(a.parameterCount(hiddenSize: 256, vocabularySize: 8728) == 2002 * 256 + 64 * 256 + 4000 * 64 + 16 * 256 + 2728 * 16)
        // PyTorch's rules for cutoffs: increasing, at least 1, below V.
        #expect(a.problem(vocabularySize: 8728, hiddenSize: 256) == nil)
        #expect(a.problem(vocabularySize: 63, hiddenSize: 256)?.contains("not below the vocabulary size 63") == true)
        #expect(AdaptiveSoftmax(cutoffs: [5, 5]).problem(vocabularySize: 63, hiddenSize: 256)?.contains("not increasing") == true)
        #expect(AdaptiveSoftmax(cutoffs: [0, 5]).problem(vocabularySize: 63, hiddenSize: 256) != nil)
        #expect(AdaptiveSoftmax(cutoffs: []).problem(vocabularySize: 63, hiddenSize: 256) != nil)
        #expect(AdaptiveSoftmax(cutoffs: [10, 20], divValue: 4).problem(vocabularySize: 63, hiddenSize: 8)?
            .contains("0 units") == true)
        #expect(AdaptiveSoftmax(cutoffs: [62]).problem(vocabularySize: 63, hiddenSize: 8) == nil)
    }

    /// The full distribution sums to 1, and a zero state gives the head's uniform split.
    @Test func theFullDistributionIsNormalised() {
        let shape = NetworkShape(inputSize: 40, hiddenSize: 16, outputSize: 40, adaptiveSoftmax: AdaptiveSoftmax(cutoffs: [8, 20]))
        var rng = SeededGenerator(seed: 5)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let hidden = (0..<(3 * 16)).map { _ in rng.uniform(-1, 1) }
        let out = network.decoderOutput(hidden: hidden, rows: 3)
        for r in 0..<3 {
            let total = out[(r * 40)..<((r + 1) * 40)].reduce(0.0) { $0 + Foundation.exp(Double($1)) }
            #expect(abs(total - 1) < 1e-5)
        }
        let zero = network.zeroStateOutput
        #expect(abs(zero[0] - Float(-Foundation.log(10.0))) < 1e-6)
        #expect(abs(zero[8] - Float(-Foundation.log(10.0) - Foundation.log(12.0))) < 1e-6)
        #expect(abs(zero[39] - Float(-Foundation.log(10.0) - Foundation.log(20.0))) < 1e-6)
    }

    /// PyTorch's initialisation: every weight within ±1/√fan_in, fan_in = H except tail.i.1's.
    @Test func initialWeightsFollowFanIn() {
        let adaptive = AdaptiveSoftmax(cutoffs: [20, 100], divValue: 4)
        let shape = NetworkShape(inputSize: 300, hiddenSize: 64, outputSize: 300, adaptiveSoftmax: adaptive)
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for entry in network.layout.entries {
            let fanIn = entry.name.hasSuffix(".1.weight") ? entry.shape[1] : 64
            let values = entry.read(from: network.parameters), bound = 1 / Float(fanIn).squareRoot()
            #expect(values.allSatisfy { abs($0) <= bound * 1.0001 }, "\(entry.name)")
            #expect(values.contains { abs($0) > bound * 0.9 }, "\(entry.name) spans its range")
        }
    }

    @Test func metadataKeepsTheDecoderAndChecksIt() throws {
        let vocab = (0..<30).map { String(UnicodeScalar(0x61 + $0)!) }
        let plain = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: 8, numLayers: 1, vocab: vocab)
        #expect(try !plain.encodedString().contains("decoder"))  // absent for the linear decoder
        let adaptive = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: 8, numLayers: 1, vocab: vocab,
                                         decoder: AdaptiveSoftmax(cutoffs: [4, 12], divValue: 2))
        let text = try adaptive.encodedString()
        #expect(try ModelMetadata.decode(fromMetadataString: text) == adaptive)
        #expect(adaptive.parameterCount == 8 * (30 + 8 + 2) + (6 * 8 + 4 * 8 + 8 * 4 + 2 * 8 + 18 * 2))
        let base = #"{"format_version": 1, "task": "language-model", "cell": "rnn_tanh", "hidden_size": 8, "num_layers": 1, "vocab": ["a", "b", "c", "d"]"#
        for (decoder, reason) in [
            (#"{"kind": "adaptive", "cutoffs": [2, 4]}"#, "not below the vocabulary size 4"),
            (#"{"kind": "adaptive", "cutoffs": [3, 2]}"#, "not increasing"),
            (#"{"kind": "tied", "cutoffs": [2]}"#, "should be an object"),
            (#""adaptive""#, "should be an object"),
        ] {
            #expect {
                _ = try ModelMetadata.decode(fromMetadataString: base + #", "decoder": "# + decoder + "}")
            } throws: { "\($0)".contains(reason) && "\($0)".contains("\"decoder\"") }
        }
        #expect(try ModelMetadata.decode(fromMetadataString: base + #", "decoder": {"kind": "adaptive", "cutoffs": [2]}}"#)
            .decoder == AdaptiveSoftmax(cutoffs: [2], divValue: 4))
        #expect(throws: ModelMetadataError.self) {
            try ModelMetadata(task: .classifier, cell: .gru, hiddenSize: 8, numLayers: 1, vocab: vocab,
                              categories: ["x", "y", "z"], decoder: AdaptiveSoftmax(cutoffs: [1]))
        }
        // The tutorial cell's output layer is its own i2o.
        #expect {
            _ = try ModelMetadata.decode(fromMetadataString: base.replacingOccurrences(of: "rnn_tanh", with: "tutorial")
                + #", "decoder": {"kind": "adaptive", "cutoffs": [2]}}"#)
        } throws: { "\($0)".contains("tutorial cell has its own output layer") }
    }
}
