// MARK: - The recurrent network (PyTorch nn.RNN, nn.LSTM, nn.GRU with a linear decoder), its carried state, dropout

import Tensor

/// A stacked recurrent network, exactly PyTorch's `nn.RNN(nonlinearity="tanh")`, `nn.LSTM` or
/// `nn.GRU` followed by an `nn.Linear` decoder. The three cells are in Cells.swift; layer 0
/// reads x_t one-hot, layer k > 0 reads h_t of layer k − 1, and the decoder the top layer's h_t:
///
///     logits_t = W_dec h_t + b_dec
public final class RecurrentNetwork: @unchecked Sendable {
    public let shape: NetworkShape
    public let layout: ParameterLayout
    /// All weights and biases, in `layout`.
    public let parameters: FloatBuffer

    /// A network with PyTorch's default initialisation: every weight and bias uniform in
    /// ±1/√H (`nn.RNN`, `nn.LSTM`, `nn.GRU`, and `nn.Linear` with fan-in H), or ±1/√(In + H)
    /// for the tutorial cell (its two `nn.Linear` read [x, h]), drawn from `rng` in layout order.
    public init(shape: NetworkShape, rng: inout SeededGenerator) {
        self.shape = shape
        layout = ParameterLayout(shape)
        parameters = FloatBuffer(count: layout.count)
        let fanIn = shape.cell == .tutorial ? shape.inputSize + shape.hiddenSize : shape.hiddenSize  // nn.Linear's
        let bound = 1 / Float(fanIn).squareRoot()
        for i in 0..<layout.count { parameters[i] = rng.uniform(-bound, bound) }
        rescaleAdaptiveInitialWeights()
    }

    /// A network over given parameters (in `ParameterLayout(shape)`).
    public init(shape: NetworkShape, parameters: FloatBuffer) {
        precondition(parameters.count == ParameterLayout(shape).count, "parameter block of the wrong size")
        self.shape = shape
        layout = ParameterLayout(shape)
        self.parameters = parameters
    }

    /// Number of parameters.
    public var parameterCount: Int { layout.count }

    /// Pointers to each tensor of a block laid out like `parameters` (parameters or gradients).
    struct Views {
        var inputWeights: [UnsafeMutablePointer<Float>]  // layer 0: [In, G·H] (transposed); else [G·H, H]
        var hiddenWeights: [UnsafeMutablePointer<Float>]  // [G·H, H]
        var inputBiases: [UnsafeMutablePointer<Float>]  // [G·H]
        var hiddenBiases: [UnsafeMutablePointer<Float>]  // [G·H]
        var decoderWeight: UnsafeMutablePointer<Float>  // [Out, H]
        var decoderBias: UnsafeMutablePointer<Float>  // [Out]
    }

    func views(_ block: FloatBuffer) -> Views {
        let base = block.pointer
        let layers = 0..<shape.layers
        return Views(
            inputWeights: layers.map { base + layout.offset("rnn.weight_ih_l\($0)") },
            hiddenWeights: layers.map { base + layout.offset("rnn.weight_hh_l\($0)") },
            inputBiases: layers.map { base + layout.offset("rnn.bias_ih_l\($0)") },
            hiddenBiases: layers.map { base + layout.offset("rnn.bias_hh_l\($0)") },
            decoderWeight: base + (layout.entry("decoder.weight")?.offset ?? 0),  // none with an adaptive decoder
            decoderBias: base + (layout.entry("decoder.bias")?.offset ?? 0))
    }
}

/// The recurrent state of every layer for B parallel streams: carried from one batch to the
/// next in truncated backpropagation through time.
public final class HiddenState: @unchecked Sendable {
    /// h of each layer [B × H].
    public let h: [FloatBuffer]
    /// c of each layer [B × H] for an LSTM, empty otherwise.
    public let c: [FloatBuffer]
    public let batch: Int, hiddenSize: Int

    /// Zeros, as at the start of a text.
    public init(layers: Int, batch: Int, hiddenSize: Int, cell: CellKind = .rnnTanh) {
        self.batch = batch
        self.hiddenSize = hiddenSize
        h = (0..<layers).map { _ in FloatBuffer(count: batch * hiddenSize) }
        c = cell == .lstm ? (0..<layers).map { _ in FloatBuffer(count: batch * hiddenSize) } : []
    }

    /// Zeros for B streams of a network of this shape.
    public convenience init(shape: NetworkShape, batch: Int) {
        self.init(layers: shape.layers, batch: batch, hiddenSize: shape.hiddenSize, cell: shape.cell)
    }

    /// Everything carried: h of each layer, then c of each layer for an LSTM.
    public var buffers: [FloatBuffer] { h + c }

    /// Back to zeros.
    public func reset() { buffers.forEach { $0.zero() } }
}

/// Dropout between stacked layers, as PyTorch's `dropout` argument of `nn.RNN`, `nn.LSTM` and
/// `nn.GRU`: the input of every layer but the first is multiplied by a mask of 0 (probability
/// p) and 1 / (1 − p), drawn afresh for each batch. The masks come from `seed`, so a training
/// step can be repeated exactly.
public struct Dropout: Sendable, Equatable {
    public var probability: Float
    public var seed: UInt64

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability outside [0, 1)")
        self.probability = probability
        self.seed = seed
    }
}
