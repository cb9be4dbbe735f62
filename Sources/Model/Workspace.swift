// MARK: - The workspace: the buffers for running a network over B streams × T steps

import Tensor

/// Activations and scratch space for running a network over B streams × T steps, reused from
/// one batch to the next so that a training step allocates nothing large.
public final class Workspace {
    public let batch: Int, steps: Int
    let shape: NetworkShape
    /// Per layer, h_0 … h_T for the B streams: (T + 1) × B × H, h_0 being the initial state.
    let hiddenStates: [FloatBuffer]
    /// LSTM and GRU: per layer, the gates at every step (T·B × G·H): the input side's
    /// pre-activations (with the biases) until the recurrence turns them into gate values.
    let gates: [FloatBuffer]
    /// GRU: per layer, W_hh h_{t−1} + b_hh at every step (T·B × 3H).
    let hiddenGates: [FloatBuffer]
    /// LSTM: per layer, c_0 … c_T ((T + 1) × B × H) and tanh(c_1) … tanh(c_T) (T·B × H).
    let cellStates: [FloatBuffer], cellTanh: [FloatBuffer]
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
    /// dL/dh_t, carried back from step t + 1 (B × H); an LSTM's dL/dc_t likewise.
    let hiddenGradient: FloatBuffer, cellGradient: FloatBuffer
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
    var dropoutMasks: [FloatBuffer] = [], droppedInputs: [FloatBuffer] = []
    /// Whether the last forward pass applied dropout (so backward applies the same masks).
    var droppedLastForward = false
    /// Threads for the decoder product of `step` (see `prepareForInference`).
    var inferenceThreads = 1
    /// With `shape.denseInput`, layer 0's real-valued inputs x_1 … x_T for the B streams
    /// (T·B × In, time-major), filled by the caller before a forward pass; empty otherwise.
    let denseInputs: FloatBuffer
    /// The adaptive decoder's scratch space (AdaptiveSoftmax.swift), made on first use.
    var adaptiveBuffers: AdaptiveSoftmaxBuffers?

    public init(shape: NetworkShape, batch: Int, steps: Int) {
        self.shape = shape
        self.batch = batch
        self.steps = steps
        let h = shape.hiddenSize, gh = shape.gateWidth, rows = batch * steps, layers = 0..<shape.layers
        func buffers(_ count: Int, when: Bool) -> [FloatBuffer] { when ? layers.map { _ in FloatBuffer(count: count) } : [] }
        hiddenStates = buffers((steps + 1) * batch * h, when: true)
        gates = buffers(rows * gh, when: shape.cell != .rnnTanh)
        hiddenGates = buffers(rows * gh, when: shape.cell == .gru)
        cellStates = buffers((steps + 1) * batch * h, when: shape.cell == .lstm)
        cellTanh = buffers(rows * h, when: shape.cell == .lstm)
        // An adaptive decoder trains and scores without full logits: they are kept for T = 1.
        let adaptive = shape.adaptiveSoftmax != nil
        logits = FloatBuffer(count: adaptive && steps > 1 ? 0 : rows * shape.outputSize)
        preGradient = FloatBuffer(count: rows * gh)
        hiddenPreGradient = FloatBuffer(count: shape.cell == .gru ? rows * gh : 0)
        outputGradient = [FloatBuffer(count: rows * h), FloatBuffer(count: rows * h)]
        hiddenGradient = FloatBuffer(count: batch * h)
        cellGradient = FloatBuffer(count: shape.cell == .lstm ? batch * h : 0)
        heldGradient = FloatBuffer(count: 2 * batch * h)
        headGradient = FloatBuffer(count: batch * shape.outputSize)
        packedHidden = layers.map { _ in PackedMatrix(rows: h, columns: gh) }
        packedHiddenBack = layers.map { _ in PackedMatrix(rows: gh, columns: h) }
        packedInput = layers.map { $0 == 0 ? nil : PackedMatrix(rows: h, columns: gh) }
        packedInputBack = layers.map { $0 == 0 ? nil : PackedMatrix(rows: gh, columns: h) }
        packedDecoder = PackedMatrix(rows: h, columns: adaptive ? 0 : shape.outputSize)
        packedDecoderBack = PackedMatrix(rows: adaptive ? 0 : shape.outputSize, columns: h)
        denseInputs = FloatBuffer(count: shape.denseInput ? rows * shape.inputSize : 0)
    }
}
