// MARK: - The tutorial cell: the 2017 PyTorch char-RNN tutorial's SimpleRNN, forward, BPTT, classifier loss
//
// The tutorial's network is one layer of two `nn.Linear` over the concatenation [x_t, h_{t−1}]:
//
//     h_t      = W_x x_t + W_h h_{t−1} + b_h        i2h: weight [H, In + H] = [W_x | W_h], bias b_h
//     logits_t = U_x x_t + U_h h_{t−1} + b_o        i2o: weight [Out, In + H] = [U_x | U_h], bias b_o
//
// followed by LogSoftmax (the losses' softmax cross-entropy). It differs from `nn.RNN` in three
// ways: the hidden update is linear (no tanh), there is one weight and one bias per `nn.Linear`,
// and the output at step t reads x_t and the *previous* state h_{t−1}, not h_t. So the output
// after the last letter of a name (what the classifier reads) is computed from that letter and
// the state before it, and in a language model the output at step t predicts letter t + 1.
//
// Both weights are kept transposed in memory ([In + H, H] and [In + H, Out]): the first In rows
// are W_xᵀ and U_xᵀ, so a one-hot input is a gather of one row (and its gradient a scatter-add);
// the last H rows are W_hᵀ and U_hᵀ, which a row of states multiplies without a transpose.

import Tensor

extension Workspace {
    /// Pointers to the tutorial cell's tensors in a block laid out like the parameters.
    private struct TutorialViews {
        var inputHidden: UnsafeMutablePointer<Float>  // W_xᵀ [In, H]
        var hiddenHidden: UnsafeMutablePointer<Float>  // W_hᵀ [H, H]
        var hiddenBias: UnsafeMutablePointer<Float>  // b_h [H]
        var inputOutput: UnsafeMutablePointer<Float>  // U_xᵀ [In, Out]
        var hiddenOutput: UnsafeMutablePointer<Float>  // U_hᵀ [H, Out]
        var outputBias: UnsafeMutablePointer<Float>  // b_o [Out]
    }

    private func tutorialViews(_ network: RecurrentNetwork, _ block: FloatBuffer) -> TutorialViews {
        let base = block.pointer, layout = network.layout
        let i2h = base + layout.offset("i2h.weight"), i2o = base + layout.offset("i2o.weight")
        return TutorialViews(
            inputHidden: i2h, hiddenHidden: i2h + shape.inputSize * shape.hiddenSize,
            hiddenBias: base + layout.offset("i2h.bias"),
            inputOutput: i2o, hiddenOutput: i2o + shape.inputSize * shape.outputSize,
            outputBias: base + layout.offset("i2o.bias"))
    }

    // MARK: Forward

    /// The tutorial cell over T steps of B streams from `state`: h_1 … h_T into
    /// `hiddenStates[0]` (h_0 before them), the logits of every step into `logits` (T·B × Out),
    /// and h_T into `state`.
    ///
    /// - Parameters:
    ///   - inputs: the active one-hot positions, `planes` × T × B (see `forward`).
    ///   - lengths: if given, stream b has `lengths[b]` real steps; past them its state is held
    ///     (h_t = h_{t−1}) and its logits mean nothing.
    func tutorialForward(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, state: HiddenState,
                         lengths: UnsafePointer<Int32>?)
    {
        let h = shape.hiddenSize, out = shape.outputSize, b = batch, t = steps, rows = b * t
        let w = tutorialViews(network, network.parameters)
        let hs = hiddenStates[0].pointer  // (T + 1) × B × H
        hs.update(from: state.h[0].pointer, count: b * h)
        // The input side of every step at once: b + W_x x_t into h_t, b_o + U_x x_t into logits_t.
        let pre = hs + b * h
        addRowVectorToZeros(w.hiddenBias, pre, rows: rows, columns: h)
        addRowVectorToZeros(w.outputBias, logits.pointer, rows: rows, columns: out)
        for plane in 0..<planes {
            let ids = inputs + plane * rows
            addGatheredRows(w.inputHidden, ldt: h, indices: ids, count: rows, to: pre, columns: h, ldo: h)
            addGatheredRows(w.inputOutput, ldt: out, indices: ids, count: rows, to: logits.pointer, columns: out, ldo: out)
        }
        // The recurrence: h_t += h_{t−1} W_hᵀ (no nonlinearity).
        for step in 1...t {
            let previous = hs + (step - 1) * b * h, current = hs + step * b * h
            matrixProduct(m: b, n: h, k: h, previous, lda: h, .none, w.hiddenHidden, ldb: h, .none, current, ldc: h,
                          accumulate: true)
            if let lengths {
                for s in 0..<b where Int(lengths[s]) < step {  // past the end: hold the state
                    (current + s * h).update(from: previous + s * h, count: h)
                }
            }
        }
        // The outputs read the previous states h_0 … h_{T−1}, all steps in one product.
        matrixProduct(m: rows, n: out, k: h, hs, lda: h, .none, w.hiddenOutput, ldb: out, .none, logits.pointer, ldc: out,
                      accumulate: true)
        state.h[0].pointer.update(from: hs + t * b * h, count: b * h)
    }

    /// Fills `rows` rows of `c` (`columns` wide, contiguous) with the vector `v`.
    private func addRowVectorToZeros(_ v: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows { (c + r * columns).update(from: v, count: columns) }
    }

    // MARK: Backward

    /// Backpropagation through time of the tutorial cell from `logits`, which must hold
    /// dLoss/dlogits of every step (zero at held steps); accumulates into `gradients`. The
    /// gradient is cut at h_0, as the other cells' (truncated BPTT).
    func tutorialBackward(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int, gradients: FloatBuffer,
                          lengths: UnsafePointer<Int32>?)
    {
        let h = shape.hiddenSize, out = shape.outputSize, b = batch, t = steps, rows = b * t
        let w = tutorialViews(network, network.parameters)
        let g = tutorialViews(network, gradients)
        let hs = hiddenStates[0].pointer, dLogits = logits.pointer
        let dPre = preGradient.pointer  // dL/d(pre-state) of every step: T·B × H
        let dh = hiddenGradient.pointer  // dL/dh_t, carried back from step t + 1: B × H
        let held = heldGradient.pointer
        dh.update(repeating: 0, count: b * h)  // h_T goes only to the next batch
        for step in stride(from: t, through: 1, by: -1) {
            let r = (step - 1) * b, d = dPre + r * h, dOut = dLogits + r * out
            d.update(from: dh, count: b * h)  // linear update: dL/dpre_t = dL/dh_t
            if let lengths {
                for s in 0..<b where Int(lengths[s]) < step {  // a held step: no weights, no output
                    (held + s * h).update(from: dh + s * h, count: h)
                    (d + s * h).update(repeating: 0, count: h)
                    (dOut + s * out).update(repeating: 0, count: out)
                }
            }
            guard step > 1 else { break }
            // dL/dh_{t−1} = dL/dpre_t · W_h + dL/dlogits_t · U_h (+ a held stream's own gradient).
            rowProducts(m: b, n: h, k: h, d, ldx: h, w.hiddenHidden, ldw: h, dh, ldy: h, accumulate: false)
            rowProducts(m: b, n: h, k: out, dOut, ldx: out, w.hiddenOutput, ldw: out, dh, ldy: h, accumulate: true)
            if let lengths {
                for s in 0..<b where Int(lengths[s]) < step {
                    for j in 0..<h { dh[s * h + j] += held[s * h + j] }
                }
            }
        }
        // Weight gradients over all steps at once; both weights read [x_t, h_{t−1}].
        matrixProduct(m: h, n: h, k: rows, hs, lda: h, .transposed, dPre, ldb: h, .none, g.hiddenHidden, ldc: h,
                      accumulate: true)
        matrixProduct(m: h, n: out, k: rows, hs, lda: h, .transposed, dLogits, ldb: out, .none, g.hiddenOutput, ldc: out,
                      accumulate: true)
        addColumnSums(of: dPre, rows: rows, columns: h, lda: h, to: g.hiddenBias)
        addColumnSums(of: dLogits, rows: rows, columns: out, lda: out, to: g.outputBias)
        for plane in 0..<planes {
            let ids = inputs + plane * rows
            scatterAddRows(dPre, ldr: h, indices: ids, count: rows, to: g.inputHidden, columns: h, ldt: h)
            scatterAddRows(dLogits, ldr: out, indices: ids, count: rows, to: g.inputOutput, columns: out, ldt: out)
        }
    }

    // MARK: Classifier

    /// `classifierLoss` for the tutorial cell: each sequence's logits are those of its last
    /// letter, computed from that letter and the state before it (the tutorial reads the output
    /// of its last call to the network). Left in `logits(ofStream:)`, as the other cells'.
    func tutorialClassifierLoss(
        _ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>,
        categories: UnsafePointer<Int32>, weights: [Float]?, gradients: FloatBuffer?, lossScale: Float
    ) -> Double {
        let out = shape.outputSize, b = batch
        let state = HiddenState(shape: shape, batch: b)
        tutorialForward(network, inputs: inputs, planes: 1, state: state, lengths: lengths)
        // Sequence s's logits are row (lengths[s] − 1)·B + s; move them to row s (row s is
        // either that row or of step 1, which no later sequence's row is).
        let last = (0..<b).map { s in (Int(lengths[s]) - 1) * b + s }
        for s in 0..<b where last[s] != s { (logits.pointer + s * out).update(from: logits.pointer + last[s] * out, count: out) }
        var loss = 0.0
        let dHead = headGradient.pointer
        for s in 0..<b {
            let weight = weights?[Int(categories[s])] ?? 1
            loss += Double(weight) * softmaxCrossEntropy(
                logits: logits.pointer + s * out, rows: 1, columns: out, ldl: out, targets: categories + s,
                gradient: gradients == nil ? nil : dHead + s * out, scale: lossScale * weight)
        }
        guard let gradients else { return loss }
        // Every step's logits gradient: zero but at each sequence's last letter.
        let kept = Array(UnsafeBufferPointer(start: logits.pointer, count: b * out))
        logits.pointer.update(repeating: 0, count: b * steps * out)
        for s in 0..<b { (logits.pointer + last[s] * out).update(from: dHead + s * out, count: out) }
        tutorialBackward(network, inputs: inputs, planes: 1, gradients: gradients, lengths: lengths)
        kept.withUnsafeBufferPointer { logits.pointer.update(from: $0.baseAddress!, count: b * out) }
        return loss
    }
}
