// The network against PyTorch: logits, loss, final state, every gradient and five Adam steps,
// from fixtures written by Fixtures/make_fixtures.py (nn.RNN + nn.Linear, torch 2.15).

import Foundation
import SafeTensors
import Testing
import TestSupport
import Tensor
@testable import Model

/// The one tolerance of these comparisons: |ours − PyTorch| ≤ 1e-5 + 1e-4·|PyTorch|.
func matchesPyTorch(_ ours: Float, _ theirs: Float) -> Bool { abs(ours - theirs) <= 1e-5 + 1e-4 * abs(theirs) }

/// The largest |ours − PyTorch| of two tensors, and whether every element is within tolerance.
func compare(_ ours: [Float], _ theirs: [Float]) -> (maxDifference: Float, ok: Bool) {
    guard ours.count == theirs.count else { return (.infinity, false) }
    var worst: Float = 0, ok = true
    for (x, y) in zip(ours, theirs) {
        worst = max(worst, abs(x - y))
        ok = ok && matchesPyTorch(x, y)
    }
    return (worst, ok)
}

@Suite("PyTorch fixtures")
struct PyTorchFixtureTests {
    static func fixture(_ layers: Int) throws -> (model: ModelFile, data: SafeTensorsFile) {
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/"
        return (try ModelFile(contentsOf: folder + "rnn_l\(layers).model.safetensors"),
                try SafeTensorsFile(contentsOf: folder + "rnn_l\(layers).data.safetensors"))
    }

    static func ids(_ data: SafeTensorsFile, _ name: String) throws -> [Int32] {
        try data.floats(name).map { Int32($0) }
    }

    static func state(_ data: SafeTensorsFile, layers: Int, batch: Int, hidden: Int) throws -> HiddenState {
        let h0 = try data.floats("h0", shape: [layers, batch, hidden])
        let state = HiddenState(layers: layers, batch: batch, hiddenSize: hidden)
        for l in 0..<layers { for i in 0..<(batch * hidden) { state.layers[l][i] = h0[l * batch * hidden + i] } }
        return state
    }

    @Test(arguments: [1, 2])
    func forwardAndGradients(layers: Int) throws {
        let (model, data) = try Self.fixture(layers)
        let network = model.network
        let (t, b, v, h) = (5, 3, 7, 6)
        #expect(model.metadata.vocab.count == v && network.shape.hiddenSize == h && network.shape.layers == layers)
        let inputs = try Self.ids(data, "inputs"), targets = try Self.ids(data, "targets")
        let state = try Self.state(data, layers: layers, batch: b, hidden: h)
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        var report: [String: Float] = [:]

        // Forward only, to see the logits before they are replaced by their gradient.
        inputs.withUnsafeBufferPointer { workspace.forward(network, inputs: $0.baseAddress!, planes: 1, state: state) }
        let logits = compare(workspace.logits.array, try data.floats("logits", shape: [t, b, v]))
        #expect(logits.ok, "logits differ by up to \(logits.maxDifference)")
        report["logits"] = logits.maxDifference
        let hT = compare(state.layers.flatMap(\.array), try data.floats("hT", shape: [layers, b, h]))
        #expect(hT.ok, "final hidden state differs by up to \(hT.maxDifference)")
        report["hT"] = hT.maxDifference

        let gradients = FloatBuffer(count: network.parameterCount)
        let fresh = try Self.state(data, layers: layers, batch: b, hidden: h)
        let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: fresh,
                                               gradients: gradients, lossScale: 1 / Float(t * b))
        let expectedLoss = try data.floats("loss")[0]
        #expect(matchesPyTorch(Float(loss / Double(t * b)), expectedLoss), "loss \(loss / 15) vs \(expectedLoss)")
        report["loss"] = abs(Float(loss / Double(t * b)) - expectedLoss)
        for entry in network.layout.entries {
            let result = compare(entry.read(from: gradients), try data.floats("grad." + entry.name, shape: entry.shape))
            #expect(result.ok, "gradient of \(entry.name) differs by up to \(result.maxDifference)")
            report["grad " + entry.name] = result.maxDifference
        }
        print("PyTorch fixture, \(layers) layer(s), max |difference|: " +
              report.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    @Test(arguments: [1, 2])
    func fiveAdamStepsWithClipping(layers: Int) throws {
        let (model, data) = try Self.fixture(layers)
        let network = model.network
        let (t, b, h) = (5, 3, 6)
        let inputs = try Self.ids(data, "inputs"), targets = try Self.ids(data, "targets")
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let optimizer = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), count: network.parameterCount)
        let gradients = FloatBuffer(count: network.parameterCount)
        let expectedLosses = try data.floats("adam.losses", shape: [5])
        for step in 0..<5 {
            gradients.zero()
            let state = try Self.state(data, layers: layers, batch: b, hidden: h)
            let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state,
                                                   gradients: gradients, lossScale: 1 / Float(t * b))
            #expect(matchesPyTorch(Float(loss / Double(t * b)), expectedLosses[step]), "loss before step \(step + 1)")
            GradientClipping.globalNorm(0.5).apply(to: gradients)
            optimizer.update(network.parameters, gradients, rate: 0.01)
        }
        var worst: Float = 0
        for entry in network.layout.entries {
            let result = compare(entry.read(from: network.parameters), try data.floats("adam." + entry.name, shape: entry.shape))
            #expect(result.ok, "\(entry.name) after 5 Adam steps differs by up to \(result.maxDifference)")
            worst = max(worst, result.maxDifference)
        }
        print("PyTorch fixture, \(layers) layer(s), 5 Adam steps: max |parameter difference| \(worst)")
    }

    /// A model written here reads back identically, and its file holds PyTorch's names and
    /// shapes (the Python side loads these files with load_state_dict: check_model.py).
    @Test func modelFilesRoundTrip() throws {
        let (model, _) = try Self.fixture(2)
        let file = try TemporaryFile([], name: "model.safetensors")
        try model.write(to: file.path)
        let again = try ModelFile(contentsOf: file.path)
        #expect(again.network.parameters.array == model.network.parameters.array)
        #expect(again.metadata == model.metadata)
        let raw = try SafeTensorsFile(contentsOf: file.path)
        #expect(Set(raw.names) == Set(model.network.layout.entries.map(\.name)))
        #expect(try raw.tensor("rnn.weight_ih_l0").shape == [6, 7])
    }
}
