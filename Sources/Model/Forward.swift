// MARK: - Forward: the layers over T steps for B streams at once (a loop over time carrying h), then the decoder

import Tensor

extension Workspace {
    /// Runs the layers over T steps from `state`, leaving h_1 … h_T of each layer in
    /// `hiddenStates` and the top layer's logits in `logits`; `state` becomes h_T (carried to the
    /// next batch).
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
        if shape.cell == .tutorial {  // TutorialCell.swift
            tutorialForward(network, inputs: inputs, planes: planes, state: state, lengths: nil)
            return
        }
        forwardLayers(network, inputs: inputs, planes: planes, state: state, lengths: nil, repack: repack)
        decodeAllSteps(network, repack: repack)
    }

    /// The recurrent layers only: h_1 … h_T of every layer into `hiddenStates`, h_T into `state`.
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
            let hs = hiddenStates[layer].pointer  // (T + 1) × B × H
            hs.update(from: state.h[layer].pointer, count: b * h)
            if shape.cell == .lstm { cellStates[layer].pointer.update(from: state.c[layer].pointer, count: b * h) }
            // Everything that does not depend on h_{t−1}, for all steps at once: biases and
            // input. The Elman cell takes it in h_1 … h_T, where the recurrence adds to it.
            let pre = shape.cell == .rnnTanh ? hs + b * h : gates[layer].pointer  // rows × G·H
            fillInputSideBiases(pre, rows: rows, layer: layer, w)
            if layer == 0 && shape.denseInput {  // real-valued x_t: pre += X · W_ihᵀ (memory holds W_ihᵀ)
                matrixProduct(m: rows, n: gh, k: shape.inputSize, denseInputs.pointer, lda: shape.inputSize, .none,
                              w.inputWeights[0], ldb: gh, .none, pre, ldc: gh, accumulate: true)
            } else if layer == 0 {
                for plane in 0..<planes {
                    addGatheredRows(w.inputWeights[0], ldt: gh, indices: inputs + plane * rows, count: rows,
                                    to: pre, columns: gh, ldo: gh)
                }
            } else {
                let input = packedInput[layer]!
                if repack { input.pack(w.inputWeights[layer], ldb: h, .transposed) }
                let below = dropout.map { applyDropout($0, layer: layer) }
                    ?? UnsafePointer(hiddenStates[layer - 1].pointer + b * h)
                matrixProduct(m: rows, below, lda: h, .none, input, pre, ldc: gh, accumulate: true)
            }
            if repack { packedHidden[layer].pack(w.hiddenWeights[layer], ldb: h, .transposed) }
            for step in 1...t {
                let previous = hs + (step - 1) * b * h, current = hs + step * b * h
                let stepGates = pre + (step - 1) * b * gh
                switch shape.cell {
                case .rnnTanh:  // h_t = tanh(pre_t + h_{t−1} W_hhᵀ)
                    matrixProduct(m: b, previous, lda: h, .none, packedHidden[layer], current, ldc: h, accumulate: true)
                    ElmanCell.forward(hidden: current, batch: b, hiddenSize: h)
                case .lstm:
                    matrixProduct(m: b, previous, lda: h, .none, packedHidden[layer], stepGates, ldc: gh,
                                  accumulate: true)
                    let c = cellStates[layer].pointer
                    LSTMCell.forward(gates: stepGates, previousCell: c + (step - 1) * b * h, cell: c + step * b * h,
                                     cellTanh: cellTanh[layer].pointer + (step - 1) * b * h, hidden: current,
                                     batch: b, hiddenSize: h)
                case .tutorial:
                    preconditionFailure("the tutorial cell runs in TutorialCell.swift")
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
                            let c = cellStates[layer].pointer
                            (c + step * b * h + s * h).update(from: c + (step - 1) * b * h + s * h, count: h)
                        }
                    }
                }
            }
            state.h[layer].pointer.update(from: hs + t * b * h, count: b * h)
            if shape.cell == .lstm { state.c[layer].pointer.update(from: cellStates[layer].pointer + t * b * h, count: b * h) }
        }
    }

    /// Sets each of `rows` rows of `pre` (G·H wide) to the biases that go with the input side:
    /// b_ih + b_hh, or only b_ih for a GRU, whose b_hh stays with W_hh h (b_hn is inside the
    /// reset product).
    func fillInputSideBiases(_ pre: UnsafeMutablePointer<Float>, rows: Int, layer: Int, _ w: RecurrentNetwork.Views) {
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
        let below = hiddenStates[layer - 1].pointer + batch * h
        for i in 0..<count {
            mask[i] = rng.uniform(0, 1) < p ? 0 : keep
            out[i] = below[i] * mask[i]
        }
        return UnsafePointer(out)
    }

    /// The language-model decoder over all T·B top-layer states in one product, into `logits`.
    func decodeAllSteps(_ network: RecurrentNetwork, repack: Bool = true) {
        let h = shape.hiddenSize, b = batch, rows = b * steps
        if shape.adaptiveSoftmax != nil {  // its full log-probabilities (for T = 1: generation)
            return adaptiveLogProbabilities(network, hidden: hiddenStates[shape.layers - 1].pointer + b * h, rows: rows)
        }
        let w = network.views(network.parameters)
        let out = shape.outputSize
        if repack { packedDecoder.pack(w.decoderWeight, ldb: h, .transposed) }
        matrixProduct(m: rows, hiddenStates[shape.layers - 1].pointer + b * h, lda: h, .none, packedDecoder,
                      logits.pointer, ldc: out, accumulate: false)
        addRowVector(w.decoderBias, to: logits.pointer, rows: rows, columns: out, ldc: out)
    }

    /// Packs the weights the forward pass reads, for `forward(repack: false)`.
    func packWeights(_ network: RecurrentNetwork) {
        if shape.cell == .tutorial { return }  // reads its weights as stored
        let h = shape.hiddenSize
        let w = network.views(network.parameters)
        for layer in 0..<shape.layers {
            packedInput[layer]?.pack(w.inputWeights[layer], ldb: h, .transposed)
            packedHidden[layer].pack(w.hiddenWeights[layer], ldb: h, .transposed)
        }
        if shape.adaptiveSoftmax == nil { packedDecoder.pack(w.decoderWeight, ldb: h, .transposed) }
    }
}
