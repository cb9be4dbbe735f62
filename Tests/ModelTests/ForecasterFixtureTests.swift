// A forecaster's network (real-valued inputs, a regression head on h_T, MSE) against PyTorch —
// predictions, loss, every gradient, five Adam steps, from fixtures written by
// Fixtures/make_forecaster_fixtures.py — and against central differences of a Float64 reference.

import Foundation
import SafeTensors
import Testing
import TestSupport
import Tensor
@testable import Model

@Suite("Forecaster: PyTorch fixtures and central differences")
struct ForecasterFixtureTests {
    /// (file prefix, cell, layers, horizon), as make_forecaster_fixtures.py writes them.
    static let configurations: [(String, CellKind, Int, Int)] = [
        ("forecast_rnn_l1_h1", .rnnTanh, 1, 1), ("forecast_rnn_l2_h3", .rnnTanh, 2, 3),
        ("forecast_lstm_l1_h2", .lstm, 1, 2), ("forecast_gru_l2_h1", .gru, 2, 1),
    ]
    static let (t, b, h) = (7, 4, 6)

    static func fixture(_ prefix: String) throws -> (model: ModelFile, data: SafeTensorsFile) {
        let folder = packageRoot + "/Tests/ModelTests/Fixtures/"
        return (try ModelFile(contentsOf: folder + prefix + ".model.safetensors"),
                try SafeTensorsFile(contentsOf: folder + prefix + ".data.safetensors"))
    }

    @Test(arguments: configurations)
    func predictionsLossAndGradients(prefix: String, cell: CellKind, layers: Int, horizon: Int) throws {
        let (model, data) = try Self.fixture(prefix)
        let network = model.network
        #expect(model.metadata.task == .forecaster && model.metadata.forecast?.horizon == horizon)
        #expect(network.shape == NetworkShape(inputSize: 1, hiddenSize: Self.h, layers: layers, outputSize: horizon,
                                              cell: cell, denseInput: true))
        let inputs = try data.floats("inputs", shape: [Self.t, Self.b, 1])
        let targets = try data.floats("targets", shape: [Self.b, horizon])
        let workspace = Workspace(shape: network.shape, batch: Self.b, steps: Self.t)
        let gradients = FloatBuffer(count: network.parameterCount)
        let count = Float(Self.b * horizon)
        let (loss, predictions) = workspace.regressionLoss(network, inputs: inputs, targets: targets, gradients: gradients,
                                                           lossScale: 1 / count)
        var report: [String: Float] = [:]
        let p = compare(predictions, try data.floats("predictions", shape: [Self.b, horizon]))
        #expect(p.ok, "predictions differ by up to \(p.maxDifference)")
        report["predictions"] = p.maxDifference
        let expectedLoss = try data.floats("loss")[0]
        #expect(matchesPyTorch(Float(loss) / count, expectedLoss), "loss \(Float(loss) / count) vs \(expectedLoss)")
        try expectGradientsMatch(network, gradients, data, report: &report)
        print("forecaster fixture \(prefix), max |difference|: "
            + describe(report))
    }

    @Test(arguments: configurations)
    func fiveAdamSteps(prefix: String, cell: CellKind, layers: Int, horizon: Int) throws {
        let (model, data) = try Self.fixture(prefix)
        let network = model.network
        let inputs = try data.floats("inputs", shape: [Self.t, Self.b, 1])
        let targets = try data.floats("targets", shape: [Self.b, horizon])
        let workspace = Workspace(shape: network.shape, batch: Self.b, steps: Self.t)
        let optimizer = Optimizer(OptimizerSettings(kind: .adam, learningRate: 0.01), count: network.parameterCount)
        let gradients = FloatBuffer(count: network.parameterCount)
        let expected = try data.floats("adam.losses", shape: [5])
        let count = Float(Self.b * horizon)
        for step in 0..<5 {
            gradients.zero()
            let loss = workspace.regressionLoss(network, inputs: inputs, targets: targets, gradients: gradients,
                                                lossScale: 1 / count).loss
            #expect(matchesPyTorch(Float(loss) / count, expected[step]), "loss before step \(step + 1)")
            optimizer.update(network.parameters, gradients, rate: 0.01)
        }
        for entry in network.layout.entries {
            let result = compare(entry.read(from: network.parameters), try data.floats("adam." + entry.name, shape: entry.shape))
            #expect(result.ok, "\(entry.name) after 5 Adam steps differs by up to \(result.maxDifference)")
        }
    }

    /// The mean squared error of a Float64 reference of the same network (DoubleReference's
    /// cells, a linear head on the top layer's last state, zero initial state).
    static func referenceLoss(_ reference: DoubleReference, inputs: [Float], targets: [Float], width: Int) -> Double {
        let shape = reference.shape, h = shape.hiddenSize, out = shape.outputSize
        var total = 0.0
        for s in 0..<b {
            var states = [[Double]](repeating: [Double](repeating: 0, count: h), count: shape.layers)
            var cells = states
            for step in 0..<t {
                var x = (0..<width).map { Double(inputs[(step * b + s) * width + $0]) }
                for layer in 0..<shape.layers {
                    let next = reference.cellStep(layer: layer, x: x, h: states[layer], c: cells[layer])
                    states[layer] = next.h
                    if shape.cell == .lstm { cells[layer] = next.c }
                    x = next.h
                }
            }
            let wdec = reference.tensors["decoder.weight"]!, bdec = reference.tensors["decoder.bias"]!
            for o in 0..<out {
                let y = bdec[o] + (0..<h).reduce(0.0) { $0 + wdec[o * h + $1] * states[shape.layers - 1][$1] }
                total += (y - Double(targets[s * out + o])) * (y - Double(targets[s * out + o]))
            }
        }
        return total / Double(b * out)
    }

    /// Every parameter's gradient, including a dense input of width 3 (wider than a
    /// forecaster's 1, so that the input product is a real product), by central differences.
    @Test(arguments: [(CellKind.rnnTanh, 1, 1, 1), (.rnnTanh, 2, 3, 2), (.lstm, 2, 3, 1), (.gru, 1, 3, 2)])
    func gradientsByCentralDifferences(cell: CellKind, layers: Int, width: Int, horizon: Int) {
        let shape = NetworkShape(inputSize: width, hiddenSize: 5, layers: layers, outputSize: horizon, cell: cell,
                                 denseInput: true)
        var rng = SeededGenerator(seed: UInt64(100 + 10 * layers + width))
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        for i in 0..<network.parameterCount { network.parameters[i] *= 3 }
        let inputs = (0..<(Self.t * Self.b * width)).map { _ in rng.uniform(-1.5, 1.5) }
        let targets = (0..<(Self.b * horizon)).map { _ in rng.uniform(-1, 1) }
        let workspace = Workspace(shape: shape, batch: Self.b, steps: Self.t)
        let gradients = FloatBuffer(count: network.parameterCount)
        let count = Float(Self.b * horizon)
        let loss = workspace.regressionLoss(network, inputs: inputs, targets: targets, gradients: gradients,
                                            lossScale: 1 / count).loss
        var reference = DoubleReference(network)
        let exact = Self.referenceLoss(reference, inputs: inputs, targets: targets, width: width)
        #expect(abs(loss / Double(count) - exact) < 1e-5 * exact)
        let epsilon = 1e-6
        for entry in network.layout.entries {
            let analytic = entry.read(from: gradients)
            let original = reference.tensors[entry.name]!
            for i in 0..<entry.count {
                reference.tensors[entry.name]![i] = original[i] + epsilon
                let up = Self.referenceLoss(reference, inputs: inputs, targets: targets, width: width)
                reference.tensors[entry.name]![i] = original[i] - epsilon
                let down = Self.referenceLoss(reference, inputs: inputs, targets: targets, width: width)
                reference.tensors[entry.name]![i] = original[i]
                let numeric = (up - down) / (2 * epsilon)
                #expect(abs(numeric - Double(analytic[i])) <= 1e-6 + 1e-4 * abs(numeric),
                        "\(entry.name)[\(i)]: numeric \(numeric) analytic \(analytic[i])")
            }
            #expect(analytic.contains { $0 != 0 }, "\(entry.name) has an all-zero gradient")
        }
    }

    /// A forecaster's file round-trips, with its `forecast` metadata, and the input tensor has
    /// PyTorch's shape [G·H, 1].
    @Test func modelFileRoundTrip() throws {
        let (model, _) = try Self.fixture("forecast_lstm_l1_h2")
        let file = try TemporaryFile([], name: "forecaster.safetensors")
        try model.write(to: file.path)
        let again = try ModelFile(contentsOf: file.path)
        #expect(again.network.parameters.array == model.network.parameters.array)
        #expect(again.metadata == model.metadata)
        let raw = try SafeTensorsFile(contentsOf: file.path)
        #expect(try raw.tensor("rnn.weight_ih_l0").shape == [4 * 6, 1])
        #expect(try raw.tensor("decoder.weight").shape == [2, 6])
    }
}
