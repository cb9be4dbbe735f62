// MARK: - The recurrent network (PyTorch nn.RNN, nn.LSTM, nn.GRU) with a linear decoder: forward and BPTT

import Dispatch
import Tensor

/// A stacked recurrent network, exactly PyTorch's `nn.RNN(nonlinearity="tanh")`, `nn.LSTM` or
/// `nn.GRU` followed by an `nn.Linear` decoder. The Elman cell (the others are in Cells.swift):
///
///     h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)     (layer 0: x_t is one-hot)
///     logits_t = W_dec h_t + b_dec                          (on the top layer's h_t)
public final class RecurrentNetwork: @unchecked Sendable {
    public let shape: NetworkShape
    public let layout: ParameterLayout
    /// All weights and biases, in `layout`.
    public let parameters: FloatBuffer

    /// A network with PyTorch's default initialisation: every weight and bias uniform in
    /// ±1/√H (`nn.RNN`, `nn.LSTM`, `nn.GRU`, and `nn.Linear` with fan-in H), drawn from `rng`
    /// in layout order.
    public init(shape: NetworkShape, rng: inout SeededGenerator) {
        self.shape = shape
        layout = ParameterLayout(shape)
        parameters = FloatBuffer(count: layout.count)
        let bound = 1 / Float(shape.hiddenSize).squareRoot()
        for i in 0..<layout.count { parameters[i] = rng.uniform(-bound, bound) }
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
            decoderWeight: base + layout.offset("decoder.weight"),
            decoderBias: base + layout.offset("decoder.bias"))
    }
}

/// The recurrent state of every layer for B parallel streams: carried from one batch to the
/// next in truncated backpropagation through time.
public final class HiddenState: @unchecked Sendable {
    /// h: one [B, H] block per layer.
    public let layers: [FloatBuffer]
    /// An LSTM's c: one [B, H] block per layer (empty for the other cells).
    public let cells: [FloatBuffer]
    public let batch: Int, hiddenSize: Int

    /// Zeros, as at the start of a text.
    public init(layers: Int, batch: Int, hiddenSize: Int, cell: CellKind = .rnnTanh) {
        self.batch = batch
        self.hiddenSize = hiddenSize
        self.layers = (0..<layers).map { _ in FloatBuffer(count: batch * hiddenSize) }
        cells = cell == .lstm ? (0..<layers).map { _ in FloatBuffer(count: batch * hiddenSize) } : []
    }

    /// Zeros for B streams of a network of this shape.
    public convenience init(shape: NetworkShape, batch: Int) {
        self.init(layers: shape.layers, batch: batch, hiddenSize: shape.hiddenSize, cell: shape.cell)
    }

    /// Everything carried: h of each layer, then c of each layer for an LSTM.
    public var buffers: [FloatBuffer] { layers + cells }

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

/// Activations and scratch space for running a network over B streams × T steps, reused from
/// one batch to the next so that a training step allocates nothing large.
public final class Workspace {
    public let batch: Int, steps: Int
    let shape: NetworkShape
    /// Per layer, h_0 … h_T for the B streams: (T + 1) × B × H, h_0 being the initial state.
    let hidden: [FloatBuffer]
    /// LSTM and GRU: per layer, the gates at every step (T·B × G·H): the input side's
    /// pre-activations (with the biases) until the recurrence turns them into gate values.
    let gates: [FloatBuffer]
    /// GRU: per layer, W_hh h_{t−1} + b_hh at every step (T·B × 3H).
    let hiddenGates: [FloatBuffer]
    /// LSTM: per layer, c_0 … c_T ((T + 1) × B × H) and tanh(c_1) … tanh(c_T) (T·B × H).
    let cells: [FloatBuffer], cellTanh: [FloatBuffer]
    /// Logits of the top layer at every step (T·B × Out); overwritten by their gradient.
    let logits: FloatBuffer
    /// Gradient of the loss with respect to one layer's pre-activations on the input side
    /// (T·B × G·H): the gradient of W_ih x + b_ih.
    let preGradient: FloatBuffer
    /// GRU: the gradient with respect to W_hh h + b_hh (T·B × 3H); the other cells use
    /// `preGradient` for both sides.
    let hiddenPreGradient: FloatBuffer
    /// Gradient with respect to a layer's outputs h_1 … h_T, from above (T·B × H); two, so a
    /// layer can fill the one of the layer below while reading its own.
    let outputGradient: [FloatBuffer]
    /// dL/dh_{t} flowing back from step t + 1 (B × H); an LSTM's dL/dc_t likewise.
    let recurrentGradient: FloatBuffer, cellGradient: FloatBuffer
    /// The gradients of held (padded) streams at one step, kept across the recurrent product.
    let heldGradient: FloatBuffer
    /// The gradient of a classifier's logits (B × Out).
    let headGradient: FloatBuffer
    let packedHidden: [PackedMatrix]  // W_hhᵀ per layer, for the forward recurrence
    let packedHiddenBack: [PackedMatrix]  // W_hh per layer, for the backward recurrence
    let packedInput: [PackedMatrix?]  // W_ihᵀ, layers > 0
    let packedInputBack: [PackedMatrix?]  // W_ih, layers > 0
    let packedDecoder: PackedMatrix  // W_decᵀ
    let packedDecoderBack: PackedMatrix  // W_dec
    /// Per layer > 0 (index 0 unused), the dropout mask and the masked input of the last
    /// forward pass with dropout; allocated on first use.
    private(set) var dropoutMasks: [FloatBuffer] = [], droppedInputs: [FloatBuffer] = []
    /// Whether the last forward pass applied dropout (so backward applies the same masks).
    private var droppedLastForward = false

    public init(shape: NetworkShape, batch: Int, steps: Int) {
        self.shape = shape
        self.batch = batch
        self.steps = steps
        let h = shape.hiddenSize, gh = shape.gateWidth, rows = batch * steps, layers = 0..<shape.layers
        func buffers(_ count: Int, when: Bool) -> [FloatBuffer] { when ? layers.map { _ in FloatBuffer(count: count) } : [] }
        hidden = buffers((steps + 1) * batch * h, when: true)
        gates = buffers(rows * gh, when: shape.cell != .rnnTanh)
        hiddenGates = buffers(rows * gh, when: shape.cell == .gru)
        cells = buffers((steps + 1) * batch * h, when: shape.cell == .lstm)
        cellTanh = buffers(rows * h, when: shape.cell == .lstm)
        logits = FloatBuffer(count: rows * shape.outputSize)
        preGradient = FloatBuffer(count: rows * gh)
        hiddenPreGradient = FloatBuffer(count: shape.cell == .gru ? rows * gh : 0)
        outputGradient = [FloatBuffer(count: rows * h), FloatBuffer(count: rows * h)]
        recurrentGradient = FloatBuffer(count: batch * h)
        cellGradient = FloatBuffer(count: shape.cell == .lstm ? batch * h : 0)
        heldGradient = FloatBuffer(count: 2 * batch * h)
        headGradient = FloatBuffer(count: batch * shape.outputSize)
        packedHidden = layers.map { _ in PackedMatrix(rows: h, columns: gh) }
        packedHiddenBack = layers.map { _ in PackedMatrix(rows: gh, columns: h) }
        packedInput = layers.map { $0 == 0 ? nil : PackedMatrix(rows: h, columns: gh) }
        packedInputBack = layers.map { $0 == 0 ? nil : PackedMatrix(rows: gh, columns: h) }
        packedDecoder = PackedMatrix(rows: h, columns: shape.outputSize)
        packedDecoderBack = PackedMatrix(rows: shape.outputSize, columns: h)
    }

    // MARK: Forward

    /// Runs the layers over T steps from `state`, leaving h_1 … h_T of each layer in `hidden`
    /// and the top layer's logits in `logits`; `state` becomes h_T (carried to the next batch).
    ///
    /// - Parameters:
    ///   - inputs: the active one-hot positions, `planes` × T × B (plane-major: a plain language
    ///     model has one plane of letter ids; a conditional generator a plane of categories and
    ///     a plane of C + letter id).
    ///   - repack: pack the weights first; false reuses the packing of `packWeights` (inference,
    ///     where the weights do not change between calls).
    func forward(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, state: HiddenState,
                 repack: Bool = true)
    {
        forwardLayers(network, inputs: inputs, planes: planes, state: state, lengths: nil, repack: repack)
        decodeAllSteps(network, repack: repack)
    }

    /// The recurrent layers only: h_1 … h_T of every layer into `hidden`, h_T into `state`.
    ///
    /// - Parameters:
    ///   - lengths: if given, stream b has only `lengths[b]` real steps; past them its state is
    ///     held (h_t = h_{t−1}, and c_t = c_{t−1}), so h_T is the state after its last real
    ///     step: a batch of sequences of different lengths gives what each would give alone.
    ///   - dropout: masks the input of every layer but the first (training only).
    func forwardLayers(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, state: HiddenState,
                       lengths: UnsafePointer<Int32>?, repack: Bool = true, dropout: Dropout? = nil)
    {
        let h = shape.hiddenSize, gh = shape.gateWidth, b = batch, t = steps, rows = b * t
        let w = network.views(network.parameters)
        let dropout = dropout.flatMap { $0.probability > 0 && shape.layers > 1 ? $0 : nil }
        droppedLastForward = dropout != nil
        for layer in 0..<shape.layers {
            let hs = hidden[layer].pointer  // (T + 1) × B × H
            hs.update(from: state.layers[layer].pointer, count: b * h)
            if shape.cell == .lstm { cells[layer].pointer.update(from: state.cells[layer].pointer, count: b * h) }
            // Everything that does not depend on h_{t−1}, for all steps at once: biases and
            // input. The Elman cell takes it in h_1 … h_T, where the recurrence adds to it.
            let pre = shape.cell == .rnnTanh ? hs + b * h : gates[layer].pointer  // rows × G·H
            fillInputSideBiases(pre, rows: rows, layer: layer, w)
            if layer == 0 {
                for plane in 0..<planes {
                    addGatheredRows(w.inputWeights[0], ldt: gh, indices: inputs + plane * rows, count: rows,
                                    to: pre, columns: gh, ldo: gh)
                }
            } else {
                let input = packedInput[layer]!
                if repack { input.pack(w.inputWeights[layer], ldb: h, .transposed) }
                let below = dropout.map { applyDropout($0, layer: layer) } ?? UnsafePointer(hidden[layer - 1].pointer + b * h)
                matrixProduct(m: rows, below, lda: h, .none, input, pre, ldc: gh, accumulate: true)
            }
            if repack { packedHidden[layer].pack(w.hiddenWeights[layer], ldb: h, .transposed) }
            for step in 1...t {
                let previous = hs + (step - 1) * b * h, current = hs + step * b * h
                let stepGates = pre + (step - 1) * b * gh
                switch shape.cell {
                case .rnnTanh:  // h_t = tanh(pre_t + h_{t−1} W_hhᵀ)
                    matrixProduct(m: b, previous, lda: h, .none, packedHidden[layer], current, ldc: h, accumulate: true)
                    tanhInPlace(current, count: b * h)
                case .lstm:
                    matrixProduct(m: b, previous, lda: h, .none, packedHidden[layer], stepGates, ldc: gh,
                                  accumulate: true)
                    let c = cells[layer].pointer
                    LSTMCell.forward(gates: stepGates, previousCell: c + (step - 1) * b * h, cell: c + step * b * h,
                                     cellTanh: cellTanh[layer].pointer + (step - 1) * b * h, hidden: current,
                                     batch: b, hiddenSize: h)
                case .gru:
                    let hh = hiddenGates[layer].pointer + (step - 1) * b * gh
                    matrixProduct(m: b, previous, lda: h, .none, packedHidden[layer], hh, ldc: gh, accumulate: false)
                    addRowVector(w.hiddenBiases[layer], to: hh, rows: b, columns: gh, ldc: gh)
                    GRUCell.forward(inputGates: stepGates, hiddenGates: hh, previous: previous, hidden: current,
                                    batch: b, hiddenSize: h)
                }
                if let lengths {
                    for s in 0..<b where Int(lengths[s]) < step {  // past the end: hold the state
                        (current + s * h).update(from: previous + s * h, count: h)
                        if shape.cell == .lstm {
                            let c = cells[layer].pointer
                            (c + step * b * h + s * h).update(from: c + (step - 1) * b * h + s * h, count: h)
                        }
                    }
                }
            }
            state.layers[layer].pointer.update(from: hs + t * b * h, count: b * h)
            if shape.cell == .lstm { state.cells[layer].pointer.update(from: cells[layer].pointer + t * b * h, count: b * h) }
        }
    }

    /// Sets each of `rows` rows of `pre` (G·H wide) to the biases that go with the input side:
    /// b_ih + b_hh, or only b_ih for a GRU, whose b_hh stays with W_hh h (b_hn is inside the
    /// reset product).
    private func fillInputSideBiases(_ pre: UnsafeMutablePointer<Float>, rows: Int, layer: Int, _ w: RecurrentNetwork.Views) {
        let gh = shape.gateWidth, bih = w.inputBiases[layer], bhh = w.hiddenBiases[layer]
        for r in 0..<rows {
            let row = pre + r * gh
            if shape.cell == .gru {
                row.update(from: bih, count: gh)
            } else {
                for j in 0..<gh { row[j] = bih[j] + bhh[j] }
            }
        }
    }

    /// Draws layer `layer`'s dropout mask and returns its masked input (T·B × H).
    private func applyDropout(_ dropout: Dropout, layer: Int) -> UnsafePointer<Float> {
        let h = shape.hiddenSize, count = batch * steps * h
        if dropoutMasks.isEmpty {
            dropoutMasks = (0..<shape.layers).map { FloatBuffer(count: $0 == 0 ? 0 : count) }
            droppedInputs = (0..<shape.layers).map { FloatBuffer(count: $0 == 0 ? 0 : count) }
        }
        var rng = SeededGenerator(seed: dropout.seed ^ (UInt64(layer) &* 0x9E37_79B9_7F4A_7C15))
        let keep = 1 / (1 - dropout.probability), p = dropout.probability
        let mask = dropoutMasks[layer].pointer, out = droppedInputs[layer].pointer
        let below = hidden[layer - 1].pointer + batch * h
        for i in 0..<count {
            mask[i] = rng.uniform(0, 1) < p ? 0 : keep
            out[i] = below[i] * mask[i]
        }
        return UnsafePointer(out)
    }

    /// The input of layer `layer` > 0 in the last forward pass (masked, with dropout).
    private func layerInput(_ layer: Int) -> UnsafePointer<Float> {
        droppedLastForward ? UnsafePointer(droppedInputs[layer].pointer)
            : UnsafePointer(hidden[layer - 1].pointer + batch * shape.hiddenSize)
    }

    /// The language-model decoder over all T·B top-layer states in one product, into `logits`.
    func decodeAllSteps(_ network: RecurrentNetwork, repack: Bool = true) {
        let h = shape.hiddenSize, b = batch, rows = b * steps
        let w = network.views(network.parameters)
        let out = shape.outputSize
        if repack { packedDecoder.pack(w.decoderWeight, ldb: h, .transposed) }
        matrixProduct(m: rows, hidden[shape.layers - 1].pointer + b * h, lda: h, .none, packedDecoder,
                      logits.pointer, ldc: out, accumulate: false)
        addRowVector(w.decoderBias, to: logits.pointer, rows: rows, columns: out, ldc: out)
    }

    /// Packs the weights the forward pass reads, for `forward(repack: false)`.
    func packWeights(_ network: RecurrentNetwork) {
        let h = shape.hiddenSize
        let w = network.views(network.parameters)
        for layer in 0..<shape.layers {
            packedInput[layer]?.pack(w.inputWeights[layer], ldb: h, .transposed)
            packedHidden[layer].pack(w.hiddenWeights[layer], ldb: h, .transposed)
        }
        packedDecoder.pack(w.decoderWeight, ldb: h, .transposed)
    }

    // MARK: Inference, one step at a time

    /// Feeds one token per stream (B streams, T = 1) and leaves the next-token logits of each
    /// stream in `logits` (B × Out); the state moves on by one step. The weights must have been
    /// packed with `packWeights` and not changed since.
    ///
    /// - Parameters:
    ///   - tokens: `planes` × B one-hot positions.
    public func step(_ network: RecurrentNetwork, tokens: [Int32], planes: Int = 1, state: HiddenState) {
        precondition(steps == 1 && tokens.count == planes * batch, "step needs a workspace with T = 1")
        tokens.withUnsafeBufferPointer { tokens in
            if batch < Self.rowProductBatchLimit {
                stepByRowProducts(network, inputs: tokens.baseAddress!, planes: planes, state: state)
            } else {
                forward(network, inputs: tokens.baseAddress!, planes: planes, state: state, repack: false)
            }
        }
    }

    /// Below this many streams, `step` multiplies by the weights as stored, one pass over each
    /// weight matrix per 4 streams (`rowProducts`), instead of padding the streams to the
    /// 8-row tiles of the packed product.
    static let rowProductBatchLimit = 8

    /// Prepares the workspace for `step`: packs the weights once (when `step` uses them packed).
    ///
    /// - Parameter threads: with a few streams, a decoder of at least `splitDecoderSize`
    ///   weights is split by rows across up to this many threads (each core then reads its
    ///   share of the weights from memory). The logits do not depend on it.
    public func prepareForInference(_ network: RecurrentNetwork, threads: Int = 1) {
        if batch >= Self.rowProductBatchLimit { packWeights(network) }
        inferenceThreads = max(1, threads)
    }

    /// Threads for the decoder product of `step` (see `prepareForInference`).
    private var inferenceThreads = 1
    /// The smallest decoder (V·H weights) worth splitting across threads.
    static let splitDecoderSize = 1 << 19

    /// One step of a few streams, reading every weight matrix in PyTorch's layout: the same
    /// equations as `forward` with T = 1 (the products summed in another order).
    private func stepByRowProducts(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int,
                                   state: HiddenState)
    {
        let h = shape.hiddenSize, gh = shape.gateWidth, b = batch, out = shape.outputSize
        let w = network.views(network.parameters)
        for layer in 0..<shape.layers {
            let previous = state.layers[layer].pointer  // h_{t−1}, B × H
            let current = hidden[layer].pointer + b * h  // receives h_t
            // The input side, with both biases (GRU: b_ih only), into `pre` (B × G·H).
            let pre = shape.cell == .rnnTanh ? current : gates[layer].pointer
            fillInputSideBiases(pre, rows: b, layer: layer, w)
            if layer == 0 {
                for plane in 0..<planes {
                    addGatheredRows(w.inputWeights[0], ldt: gh, indices: inputs + plane * b, count: b, to: pre,
                                    columns: gh, ldo: gh)
                }
            } else {
                rowProducts(m: b, n: gh, k: h, hidden[layer - 1].pointer + b * h, ldx: h, w.inputWeights[layer],
                            ldw: h, pre, ldy: gh, accumulate: true)
            }
            switch shape.cell {
            case .rnnTanh:
                rowProducts(m: b, n: h, k: h, previous, ldx: h, w.hiddenWeights[layer], ldw: h, current, ldy: h,
                            accumulate: true)
                tanhInPlace(current, count: b * h)
            case .lstm:
                rowProducts(m: b, n: gh, k: h, previous, ldx: h, w.hiddenWeights[layer], ldw: h, pre, ldy: gh,
                            accumulate: true)
                let c = cells[layer].pointer + b * h
                LSTMCell.forward(gates: pre, previousCell: state.cells[layer].pointer, cell: c,
                                 cellTanh: cellTanh[layer].pointer, hidden: current, batch: b, hiddenSize: h)
                state.cells[layer].pointer.update(from: c, count: b * h)
            case .gru:
                let hh = hiddenGates[layer].pointer
                for s in 0..<b { (hh + s * gh).update(from: w.hiddenBiases[layer], count: gh) }
                rowProducts(m: b, n: gh, k: h, previous, ldx: h, w.hiddenWeights[layer], ldw: h, hh, ldy: gh,
                            accumulate: true)
                GRUCell.forward(inputGates: pre, hiddenGates: hh, previous: previous, hidden: current, batch: b,
                                hiddenSize: h)
            }
            previous.update(from: current, count: b * h)
        }
        let parts = out * h >= Self.splitDecoderSize ? min(inferenceThreads, out / 64) : 1
        let states = hidden[shape.layers - 1], results = logits, weights = network.parameters
        let decoderOffset = network.layout.offset("decoder.weight")
        // Row ranges of the decoder, in multiples of 8 rows: each dot product is summed the
        // same way whatever the split.
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = (out * part / parts) & ~7, end = part == parts - 1 ? out : (out * (part + 1) / parts) & ~7
            rowProducts(m: b, n: end - start, k: h, states.pointer + b * h, ldx: h,
                        weights.pointer + decoderOffset + start * h, ldw: h, results.pointer + start, ldy: out,
                        accumulate: false)
        }
        addRowVector(w.decoderBias, to: logits.pointer, rows: b, columns: out, ldc: out)
    }

    /// The logits of stream `index` after the last `step` (valid until the next call).
    public func logits(ofStream index: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits.pointer + index * shape.outputSize, count: shape.outputSize)
    }

    // MARK: Backward

    /// Backpropagation through time from `logits`, which must hold dLoss/dlogits. Accumulates
    /// into `gradients` (laid out like the parameters). The gradient is cut at h_0: it does not
    /// flow into the state carried from the previous batch (truncated BPTT).
    func backward(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, gradients: FloatBuffer,
                  lengths: UnsafePointer<Int32>? = nil)
    {
        let h = shape.hiddenSize, b = batch, t = steps, rows = b * t, out = shape.outputSize
        let w = network.views(network.parameters)
        let g = network.views(gradients)
        let dLogits = logits.pointer
        let top = hidden[shape.layers - 1].pointer + b * h  // h_1 … h_T of the top layer

        // Decoder: dW_dec += dLogitsᵀ · H, db_dec += Σ rows, dH = dLogits · W_dec.
        matrixProduct(m: out, n: h, k: rows, dLogits, lda: out, .transposed, top, ldb: h, .none,
                      g.decoderWeight, ldc: h, accumulate: true)
        addColumnSums(of: dLogits, rows: rows, columns: out, lda: out, to: g.decoderBias)
        packedDecoderBack.pack(w.decoderWeight, ldb: h, .none)
        matrixProduct(m: rows, dLogits, lda: out, .none, packedDecoderBack, outputGradient[0].pointer,
                      ldc: h, accumulate: false)
        backwardLayers(network, inputs: inputs, planes: planes, gradients: gradients, lengths: lengths)
    }

    /// Backpropagation through time through the recurrent layers, from dL/dh_1 … dL/dh_T of
    /// the top layer in `outputGradient[0]`. With `lengths`, a held step passes its gradient
    /// straight to the step before (the adjoint of h_t = h_{t−1}, and of c_t = c_{t−1}).
    func backwardLayers(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, gradients: FloatBuffer,
                        lengths: UnsafePointer<Int32>?)
    {
        let h = shape.hiddenSize, gh = shape.gateWidth, b = batch, t = steps, rows = b * t
        let w = network.views(network.parameters)
        let g = network.views(gradients)
        var above = 0  // which of outputGradient holds dL/dh of the current layer
        for layer in stride(from: shape.layers - 1, through: 0, by: -1) {
            let hs = hidden[layer].pointer
            let dOut = outputGradient[above].pointer
            let dPre = preGradient.pointer  // input side, T·B × G·H
            let dHiddenPre = shape.cell == .gru ? hiddenPreGradient.pointer : dPre  // hidden side
            let dNext = recurrentGradient.pointer
            dNext.update(repeating: 0, count: b * h)
            if shape.cell == .lstm { cellGradient.zero() }
            let held = heldGradient.pointer  // dL/dh and dL/dc of held streams: B × H each
            packedHiddenBack[layer].pack(w.hiddenWeights[layer], ldb: h, .none)
            // Backwards over time, carrying dL/dh_{t} (and dL/dc_t) from step t + 1.
            for step in stride(from: t, through: 1, by: -1) {
                let r = (step - 1) * b  // first row of this step
                for i in 0..<(b * h) { dNext[i] += dOut[r * h + i] }
                var heldCount = 0
                if let lengths {
                    for s in 0..<b where Int(lengths[s]) < step {  // a held step: no cell, no weights
                        (held + heldCount * h).update(from: dNext + s * h, count: h)
                        if shape.cell == .lstm { (held + (b + heldCount) * h).update(from: cellGradient.pointer + s * h, count: h) }
                        heldCount += 1
                    }
                }
                switch shape.cell {
                case .rnnTanh:
                    tanhBackward(dNext, hs + step * b * h, dPre + r * gh, count: b * h)
                case .lstm:
                    let c = cells[layer].pointer
                    LSTMCell.backward(hiddenGradient: dNext, cellGradient: cellGradient.pointer,
                                      gates: gates[layer].pointer + r * gh, previousCell: c + (step - 1) * b * h,
                                      cellTanh: cellTanh[layer].pointer + r * h, gateGradient: dPre + r * gh,
                                      batch: b, hiddenSize: h)
                case .gru:
                    GRUCell.backward(hiddenGradient: dNext, gates: gates[layer].pointer + r * gh,
                                     hiddenGates: hiddenGates[layer].pointer + r * gh, previous: hs + (step - 1) * b * h,
                                     inputGradient: dPre + r * gh, hiddenGateGradient: dHiddenPre + r * gh,
                                     batch: b, hiddenSize: h)
                }
                if let lengths {
                    for s in 0..<b where Int(lengths[s]) < step {
                        (dPre + (r + s) * gh).update(repeating: 0, count: gh)
                        if shape.cell == .gru { (dHiddenPre + (r + s) * gh).update(repeating: 0, count: gh) }
                    }
                }
                if step > 1 {  // dL/dh_{t−1} += dL/d(hidden side) · W_hh (the GRU adds to its z ⊙ h part)
                    matrixProduct(m: b, dHiddenPre + r * gh, lda: gh, .none, packedHiddenBack[layer], dNext, ldc: h,
                                  accumulate: shape.cell == .gru)
                }
                if let lengths, heldCount > 0 {
                    var k = 0
                    for s in 0..<b where Int(lengths[s]) < step {
                        (dNext + s * h).update(from: held + k * h, count: h)
                        if shape.cell == .lstm { (cellGradient.pointer + s * h).update(from: held + (b + k) * h, count: h) }
                        k += 1
                    }
                }
            }
            // Weight gradients over all steps at once.
            matrixProduct(m: gh, n: h, k: rows, dHiddenPre, lda: gh, .transposed, hs, ldb: h, .none,
                          g.hiddenWeights[layer], ldc: h, accumulate: true)
            addColumnSums(of: dPre, rows: rows, columns: gh, lda: gh, to: g.inputBiases[layer])
            addColumnSums(of: dHiddenPre, rows: rows, columns: gh, lda: gh, to: g.hiddenBiases[layer])
            if layer == 0 {
                for plane in 0..<planes {
                    scatterAddRows(dPre, ldr: gh, indices: inputs + plane * rows, count: rows,
                                   to: g.inputWeights[0], columns: gh, ldt: gh)
                }
            } else {
                matrixProduct(m: gh, n: h, k: rows, dPre, lda: gh, .transposed, layerInput(layer), ldb: h, .none,
                              g.inputWeights[layer], ldc: h, accumulate: true)
                let input = packedInputBack[layer]!
                input.pack(w.inputWeights[layer], ldb: h, .none)
                let dBelow = outputGradient[1 - above].pointer
                matrixProduct(m: rows, dPre, lda: gh, .none, input, dBelow, ldc: h, accumulate: false)
                if droppedLastForward {
                    let mask = dropoutMasks[layer].pointer
                    for i in 0..<(rows * h) { dBelow[i] *= mask[i] }
                }
                above = 1 - above
            }
        }
    }

    // MARK: Language model

    /// One batch of a language model: forward, cross-entropy against `targets`, and, if
    /// `gradients` is given, backward.
    ///
    /// - Parameters:
    ///   - inputs: `planes` × T × B one-hot positions (see `forward`).
    ///   - targets: T × B next-letter ids.
    ///   - lengths: if given, stream b is a sequence of `lengths[b]` steps (names of different
    ///     lengths in one batch): later steps are held and not scored.
    ///   - state: the carried hidden state; becomes the state after the last step.
    ///   - gradients: accumulates d(loss · lossScale)/dparameters, when given.
    ///   - lossScale: the factor of the summed loss whose gradient is accumulated; 1/(T·B) for
    ///     the mean over this batch (a share of it when a batch is split across threads).
    ///   - dropout: dropout between layers (training).
    /// - Returns: the summed cross-entropy over the scored positions, in nats.
    public func languageModelLoss(
        _ network: RecurrentNetwork, inputs: [Int32], planes: Int = 1, targets: [Int32], lengths: [Int32]? = nil,
        state: HiddenState, gradients: FloatBuffer?, lossScale: Float, dropout: Dropout? = nil
    ) -> Double {
        let rows = batch * steps, out = shape.outputSize
        precondition(inputs.count == planes * rows && targets.count == rows, "batch of the wrong size")
        precondition(state.batch == batch && state.layers.count == shape.layers
                     && state.cells.count == (shape.cell == .lstm ? shape.layers : 0), "state of the wrong size")
        precondition(lengths.map { $0.count == batch } ?? true, "one length per stream")
        return inputs.withUnsafeBufferPointer { inputs in
            withOptionalPointer(lengths) { lengths in
                forwardLayers(network, inputs: inputs.baseAddress!, planes: planes, state: state, lengths: lengths,
                              dropout: dropout)
                decodeAllSteps(network)
                let gradient = gradients == nil ? nil : logits.pointer
                var loss = 0.0
                targets.withUnsafeBufferPointer { targets in
                    guard let lengths else {
                        loss = softmaxCrossEntropy(logits: logits.pointer, rows: rows, columns: out, ldl: out,
                                                   targets: targets.baseAddress!, gradient: gradient, scale: lossScale)
                        return
                    }
                    for r in 0..<rows {
                        let row = logits.pointer + r * out
                        if Int(lengths[r % batch]) > r / batch {
                            loss += softmaxCrossEntropy(logits: row, rows: 1, columns: out, ldl: out,
                                                        targets: targets.baseAddress! + r,
                                                        gradient: gradient == nil ? nil : row, scale: lossScale)
                        } else if gradient != nil {
                            row.update(repeating: 0, count: out)  // a held step is not scored
                        }
                    }
                }
                if let gradients {
                    backward(network, inputs: inputs.baseAddress!, planes: planes, gradients: gradients, lengths: lengths)
                }
                return loss
            }
        }
    }

    // MARK: Classifier

    /// One batch of a sequence classifier: B sequences of up to T letters, each read from a zero
    /// state to its own end; the decoder reads the top layer's final state and a softmax
    /// cross-entropy scores it against the sequence's category.
    ///
    /// - Parameters:
    ///   - inputs: T × B letter ids (padding past a sequence's length may be any id).
    ///   - lengths: the letters in each sequence (1 … T).
    ///   - categories: the right category of each sequence.
    ///   - weights: per category, the weight of its loss (class balancing), or nil for all 1.
    ///   - gradients: accumulates d(loss · lossScale)/dparameters, when given.
    ///   - dropout: dropout between layers (training).
    /// - Returns: the summed (weighted) cross-entropy; the logits of sequence b are then
    ///   `logits(ofStream: b)`.
    public func classifierLoss(
        _ network: RecurrentNetwork, inputs: [Int32], lengths: [Int32], categories: [Int32], weights: [Float]? = nil,
        gradients: FloatBuffer?, lossScale: Float, dropout: Dropout? = nil
    ) -> Double {
        let h = shape.hiddenSize, b = batch, t = steps, out = shape.outputSize
        precondition(inputs.count == b * t && lengths.count == b && categories.count == b, "batch of the wrong size")
        let state = HiddenState(shape: shape, batch: b)
        let w = network.views(network.parameters)
        let last = hidden[shape.layers - 1].pointer + t * b * h  // h_T of the top layer, B × H
        return inputs.withUnsafeBufferPointer { inputs in
            lengths.withUnsafeBufferPointer { lengths in
                forwardLayers(network, inputs: inputs.baseAddress!, planes: 1, state: state, lengths: lengths.baseAddress!,
                              dropout: dropout)
                packedDecoder.pack(w.decoderWeight, ldb: h, .transposed)
                matrixProduct(m: b, last, lda: h, .none, packedDecoder, logits.pointer, ldc: out, accumulate: false)
                addRowVector(w.decoderBias, to: logits.pointer, rows: b, columns: out, ldc: out)
                guard let gradients else {
                    var loss = 0.0
                    categories.withUnsafeBufferPointer { c in
                        for s in 0..<b {
                            loss += Double(weights?[Int(c[s])] ?? 1) * softmaxCrossEntropy(
                                logits: logits.pointer + s * out, rows: 1, columns: out, ldl: out,
                                targets: c.baseAddress! + s, gradient: nil, scale: 1)
                        }
                    }
                    return loss
                }
                // The logits stay for the caller; their gradient goes to its own buffer.
                let dLogits = headGradient.pointer
                var loss = 0.0
                categories.withUnsafeBufferPointer { c in
                    for s in 0..<b {
                        let weight = weights?[Int(c[s])] ?? 1
                        loss += Double(weight) * softmaxCrossEntropy(
                            logits: logits.pointer + s * out, rows: 1, columns: out, ldl: out,
                            targets: c.baseAddress! + s, gradient: dLogits + s * out, scale: lossScale * weight)
                    }
                }
                let g = network.views(gradients)
                matrixProduct(m: out, n: h, k: b, dLogits, lda: out, .transposed, last, ldb: h, .none,
                              g.decoderWeight, ldc: h, accumulate: true)
                addColumnSums(of: dLogits, rows: b, columns: out, lda: out, to: g.decoderBias)
                let dTop = outputGradient[0].pointer
                dTop.update(repeating: 0, count: b * t * h)
                packedDecoderBack.pack(w.decoderWeight, ldb: h, .none)
                matrixProduct(m: b, dLogits, lda: out, .none, packedDecoderBack, dTop + (t - 1) * b * h, ldc: h,
                              accumulate: false)
                backwardLayers(network, inputs: inputs.baseAddress!, planes: 1, gradients: gradients,
                               lengths: lengths.baseAddress!)
                return loss
            }
        }
    }
}

/// Calls `body` with a pointer to the array's elements, or nil for no array.
private func withOptionalPointer<R>(_ array: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
