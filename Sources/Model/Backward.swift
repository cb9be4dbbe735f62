// MARK: - Backward: backpropagation through time, a loop backwards over the steps carrying dL/dh

import Tensor

extension Workspace {
    /// Backpropagation through time from `logits`, which must hold dLoss/dlogits. Accumulates
    /// into `gradients` (laid out like the parameters). The gradient is cut at h_0: it does not
    /// flow into the state carried from the previous batch (truncated BPTT).
    func backward(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, gradients: FloatBuffer,
                  lengths: UnsafePointer<Int32>? = nil)
    {
        if shape.cell == .tutorial {  // TutorialCell.swift
            tutorialBackward(network, inputs: inputs, planes: planes, gradients: gradients, lengths: lengths)
            return
        }
        let h = shape.hiddenSize, b = batch, t = steps, rows = b * t, out = shape.outputSize
        let w = network.views(network.parameters)
        let g = network.views(gradients)
        let dLogits = logits.pointer
        let top = hiddenStates[shape.layers - 1].pointer + b * h  // h_1 … h_T of the top layer

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
            let hs = hiddenStates[layer].pointer
            let dOut = outputGradient[above].pointer
            let dPre = preGradient.pointer  // input side, T·B × G·H
            let dHiddenPre = shape.cell == .gru ? hiddenPreGradient.pointer : dPre  // hidden side
            let dh = hiddenGradient.pointer, dc = cellGradient.pointer  // dL/dh_t, dL/dc_t: B × H
            dh.update(repeating: 0, count: b * h)
            if shape.cell == .lstm { cellGradient.zero() }
            let held = heldGradient.pointer  // dL/dh and dL/dc of held streams: B × H each
            packedHiddenBack[layer].pack(w.hiddenWeights[layer], ldb: h, .none)
            // Backwards over time, carrying dL/dh_{t} (and dL/dc_t) from step t + 1.
            for step in stride(from: t, through: 1, by: -1) {
                let r = (step - 1) * b  // first row of this step
                for i in 0..<(b * h) { dh[i] += dOut[r * h + i] }
                var heldCount = 0
                if let lengths {
                    for s in 0..<b where Int(lengths[s]) < step {  // a held step: no cell, no weights
                        (held + heldCount * h).update(from: dh + s * h, count: h)
                        if shape.cell == .lstm { (held + (b + heldCount) * h).update(from: dc + s * h, count: h) }
                        heldCount += 1
                    }
                }
                switch shape.cell {
                case .rnnTanh:
                    ElmanCell.backward(hiddenGradient: dh, hidden: hs + step * b * h, preGradient: dPre + r * gh,
                                       batch: b, hiddenSize: h)
                case .lstm:
                    let c = cellStates[layer].pointer
                    LSTMCell.backward(hiddenGradient: dh, cellGradient: dc,
                                      gates: gates[layer].pointer + r * gh, previousCell: c + (step - 1) * b * h,
                                      cellTanh: cellTanh[layer].pointer + r * h, gateGradient: dPre + r * gh,
                                      batch: b, hiddenSize: h)
                case .tutorial:
                    preconditionFailure("the tutorial cell runs in TutorialCell.swift")
                case .gru:
                    GRUCell.backward(hiddenGradient: dh, gates: gates[layer].pointer + r * gh,
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
                    matrixProduct(m: b, dHiddenPre + r * gh, lda: gh, .none, packedHiddenBack[layer], dh, ldc: h,
                                  accumulate: shape.cell == .gru)
                }
                if let lengths, heldCount > 0 {
                    var k = 0
                    for s in 0..<b where Int(lengths[s]) < step {
                        (dh + s * h).update(from: held + k * h, count: h)
                        if shape.cell == .lstm { (dc + s * h).update(from: held + (b + k) * h, count: h) }
                        k += 1
                    }
                }
            }
            // Weight gradients over all steps at once.
            matrixProduct(m: gh, n: h, k: rows, dHiddenPre, lda: gh, .transposed, hs, ldb: h, .none,
                          g.hiddenWeights[layer], ldc: h, accumulate: true)
            addColumnSums(of: dPre, rows: rows, columns: gh, lda: gh, to: g.inputBiases[layer])
            addColumnSums(of: dHiddenPre, rows: rows, columns: gh, lda: gh, to: g.hiddenBiases[layer])
            if layer == 0 && shape.denseInput {  // real-valued x_t: dW_ihᵀ += Xᵀ · dPre
                matrixProduct(m: shape.inputSize, n: gh, k: rows, denseInputs.pointer, lda: shape.inputSize, .transposed,
                              dPre, ldb: gh, .none, g.inputWeights[0], ldc: gh, accumulate: true)
            } else if layer == 0 {
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

    /// The input of layer `layer` > 0 in the last forward pass (masked, with dropout).
    private func layerInput(_ layer: Int) -> UnsafePointer<Float> {
        droppedLastForward ? UnsafePointer(droppedInputs[layer].pointer)
            : UnsafePointer(hiddenStates[layer - 1].pointer + batch * shape.hiddenSize)
    }
}
