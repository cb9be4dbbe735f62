// The network against PyTorch: logits, loss, final state, every gradient and five Adam steps,
// from fixtures written by Fixtures/make_fixtures.py (nn.RNN, nn.LSTM, nn.GRU + nn.Linear,
// torch 2.15), for each cell with 1 and 2 layers.

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

/// Checks every gradient of `network` in `gradients` against the fixture's `grad.<name>`,
/// recording each tensor's largest difference in `report`.
func expectGradientsMatch(_ network: RecurrentNetwork, _ gradients: FloatBuffer, _ data: SafeTensorsFile,
                          report: inout [String: Float]) throws {
    for entry in network.layout.entries {
        let result = compare(entry.read(from: gradients), try data.floats("grad." + entry.name, shape: entry.shape))
        #expect(result.ok, "gradient of \(entry.name) differs by up to \(result.maxDifference)")
        report["grad " + entry.name] = result.maxDifference
    }
}

/// A fixture test's largest differences, one line, by name.
func describe(_ report: [String: Float]) -> String {
    report.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
}

@Suite("PyTorch fixtures")
struct PyTorchFixtureTests {
    /// Every fixture: (file prefix, cell, layers).
    static let configurations: [(String, CellKind, Int)] = [
        ("rnn", .rnnTanh, 1), ("rnn", .rnnTanh, 2), ("lstm", .lstm, 1), ("lstm", .lstm, 2), ("gru", .gru, 1),
        ("gru", .gru, 2),
    ]

    static func fixture(_ name: String, _ layers: Int) throws -> (model: ModelFile, data: SafeTensorsFile) {
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/"
        return (try ModelFile(contentsOf: folder + "\(name)_l\(layers).model.safetensors"),
                try SafeTensorsFile(contentsOf: folder + "\(name)_l\(layers).data.safetensors"))
    }

    /// Five Adam steps (rate 0.01, global-norm clipping 0.5) of `network` on the fixture's batch,
    /// each step's loss checked against PyTorch's (`adam.losses`); the weights are then the
    /// caller's to compare with `adam.*`.
    static func fiveAdamSteps(_ network: RecurrentNetwork, _ data: SafeTensorsFile, cell: CellKind, layers: Int,
                              steps t: Int, batch b: Int, hidden h: Int) throws {
        let inputs = try ids(data, "inputs"), targets = try ids(data, "targets")
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        let optimizer = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), count: network.parameterCount)
        let gradients = FloatBuffer(count: network.parameterCount)
        let expectedLosses = try data.floats("adam.losses", shape: [5])
        for step in 0..<5 {
            gradients.zero()
            let state = try state(data, cell: cell, layers: layers, batch: b, hidden: h)
            let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: state,
                                                   gradients: gradients, lossScale: 1 / Float(t * b))
            #expect(matchesPyTorch(Float(loss / Double(t * b)), expectedLosses[step]), "loss before step \(step + 1)")
            GradientClipping.globalNorm(0.5).apply(to: gradients)
            optimizer.update(network.parameters, gradients, rate: 0.01)
        }
    }

    static func ids(_ data: SafeTensorsFile, _ name: String) throws -> [Int32] {
        try data.floats(name).map { Int32($0) }
    }

    /// The fixture's initial state: h0, and c0 for an LSTM.
    static func state(_ data: SafeTensorsFile, cell: CellKind, layers: Int, batch: Int, hidden: Int) throws -> HiddenState {
        let h0 = try data.floats("h0", shape: [layers, batch, hidden])
        let state = HiddenState(layers: layers, batch: batch, hiddenSize: hidden, cell: cell)
        for l in 0..<layers { for i in 0..<(batch * hidden) { state.h[l][i] = h0[l * batch * hidden + i] } }
        if cell == .lstm {
            let c0 = try data.floats("c0", shape: [layers, batch, hidden])
            for l in 0..<layers { for i in 0..<(batch * hidden) { state.c[l][i] = c0[l * batch * hidden + i] } }
        }
        return state
    }

    @Test(arguments: configurations)
    func forwardAndGradients(name: String, cell: CellKind, layers: Int) throws {
        let (model, data) = try Self.fixture(name, layers)
        let network = model.network
        let (t, b, v, h) = (5, 3, 7, 6)
        #expect(model.metadata.vocab.count == v && network.shape.hiddenSize == h && network.shape.layers == layers)
        #expect(network.shape.cell == cell)
        let inputs = try Self.ids(data, "inputs"), targets = try Self.ids(data, "targets")
        let state = try Self.state(data, cell: cell, layers: layers, batch: b, hidden: h)
        let workspace = Workspace(shape: network.shape, batch: b, steps: t)
        var report: [String: Float] = [:]

        // Forward only, to see the logits before they are replaced by their gradient.
        inputs.withUnsafeBufferPointer { workspace.forward(network, inputs: $0.baseAddress!, planes: 1, state: state) }
        let logits = compare(workspace.logits.array, try data.floats("logits", shape: [t, b, v]))
        #expect(logits.ok, "logits differ by up to \(logits.maxDifference)")
        report["logits"] = logits.maxDifference
        let hT = compare(state.h.flatMap(\.array), try data.floats("hT", shape: [layers, b, h]))
        #expect(hT.ok, "final hidden state differs by up to \(hT.maxDifference)")
        report["hT"] = hT.maxDifference
        if cell == .lstm {
            let cT = compare(state.c.flatMap(\.array), try data.floats("cT", shape: [layers, b, h]))
            #expect(cT.ok, "final cell state differs by up to \(cT.maxDifference)")
            report["cT"] = cT.maxDifference
        }

        let gradients = FloatBuffer(count: network.parameterCount)
        let fresh = try Self.state(data, cell: cell, layers: layers, batch: b, hidden: h)
        let loss = workspace.languageModelLoss(network, inputs: inputs, targets: targets, state: fresh,
                                               gradients: gradients, lossScale: 1 / Float(t * b))
        let expectedLoss = try data.floats("loss")[0]
        #expect(matchesPyTorch(Float(loss / Double(t * b)), expectedLoss), "loss \(loss / 15) vs \(expectedLoss)")
        report["loss"] = abs(Float(loss / Double(t * b)) - expectedLoss)
        try expectGradientsMatch(network, gradients, data, report: &report)
        print("PyTorch fixture, \(name), \(layers) layer(s), max |difference|: " +
              describe(report))
    }

    @Test(arguments: configurations)
    func fiveAdamStepsWithClipping(name: String, cell: CellKind, layers: Int) throws {
        let (model, data) = try Self.fixture(name, layers)
        let network = model.network
        try Self.fiveAdamSteps(network, data, cell: cell, layers: layers, steps: 5, batch: 3, hidden: 6)
        var worst: Float = 0
        for entry in network.layout.entries {
            let result = compare(entry.read(from: network.parameters), try data.floats("adam." + entry.name, shape: entry.shape))
            #expect(result.ok, "\(entry.name) after 5 Adam steps differs by up to \(result.maxDifference)")
            worst = max(worst, result.maxDifference)
        }
        print("PyTorch fixture, \(name), \(layers) layer(s), 5 Adam steps: max |parameter difference| \(worst)")
    }

    /// A model written here reads back identically, and its file holds PyTorch's names and
    /// shapes (the Python side loads these files with load_state_dict: check_model.py).
    @Test(arguments: ["rnn", "lstm", "gru"])
    func modelFilesRoundTrip(name: String) throws {
        let (model, _) = try Self.fixture(name, 2)
        let file = try TemporaryFile([], name: "model.safetensors")
        try model.write(to: file.path)
        let again = try ModelFile(contentsOf: file.path)
        #expect(again.network.parameters.array == model.network.parameters.array)
        #expect(again.metadata == model.metadata)
        let raw = try SafeTensorsFile(contentsOf: file.path)
        #expect(Set(raw.names) == Set(model.network.layout.entries.map(\.name)))
        let gates = model.network.shape.cell.gateCount
        #expect(try raw.tensor("rnn.weight_ih_l0").shape == [6 * gates, 7])
        #expect(try raw.tensor("rnn.weight_hh_l1").shape == [6 * gates, 6])
        #expect(try raw.tensor("rnn.bias_hh_l1").shape == [6 * gates])
    }
}
