// MARK: - Inference, one step at a time: prepareForInference, step, and each stream's logits

import Dispatch
import Tensor

extension Workspace {
    /// Feeds one token per stream (B streams, T = 1) and leaves the next-token logits of each
    /// stream in `logits` (B × Out); the state moves on by one step. The weights must have been
    /// packed with `packWeights` and not changed since.
    ///
    /// - Parameters:
    ///   - tokens: `planes` × B one-hot positions.
    public func step(_ network: RecurrentNetwork, tokens: [Int32], planes: Int = 1, state: HiddenState) {
        precondition(steps == 1 && tokens.count == planes * batch, "step needs a workspace with T = 1")
        tokens.withUnsafeBufferPointer { tokens in
            if shape.cell == .tutorial {  // TutorialCell.swift
                tutorialForward(network, inputs: tokens.baseAddress!, planes: planes, state: state, lengths: nil)
            } else if batch < Self.rowProductBatchLimit {
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
            let previous = state.h[layer].pointer  // h_{t−1}, B × H
            let current = hiddenStates[layer].pointer + b * h  // receives h_t
            // The input side, with both biases (GRU: b_ih only), into `pre` (B × G·H).
            let pre = shape.cell == .rnnTanh ? current : gates[layer].pointer
            fillInputSideBiases(pre, rows: b, layer: layer, w)
            if layer == 0 {
                for plane in 0..<planes {
                    addGatheredRows(w.inputWeights[0], ldt: gh, indices: inputs + plane * b, count: b, to: pre,
                                    columns: gh, ldo: gh)
                }
            } else {
                rowProducts(m: b, n: gh, k: h, hiddenStates[layer - 1].pointer + b * h, ldx: h, w.inputWeights[layer],
                            ldw: h, pre, ldy: gh, accumulate: true)
            }
            switch shape.cell {
            case .rnnTanh:
                rowProducts(m: b, n: h, k: h, previous, ldx: h, w.hiddenWeights[layer], ldw: h, current, ldy: h,
                            accumulate: true)
                ElmanCell.forward(hidden: current, batch: b, hiddenSize: h)
            case .lstm:
                rowProducts(m: b, n: gh, k: h, previous, ldx: h, w.hiddenWeights[layer], ldw: h, pre, ldy: gh,
                            accumulate: true)
                let c = cellStates[layer].pointer + b * h
                LSTMCell.forward(gates: pre, previousCell: state.c[layer].pointer, cell: c,
                                 cellTanh: cellTanh[layer].pointer, hidden: current, batch: b, hiddenSize: h)
                state.c[layer].pointer.update(from: c, count: b * h)
            case .tutorial:
                preconditionFailure("the tutorial cell runs in TutorialCell.swift")
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
        if shape.adaptiveSoftmax != nil {  // the full log-probabilities (AdaptiveSoftmax.swift)
            return adaptiveLogProbabilities(network, hidden: hiddenStates[shape.layers - 1].pointer + b * h, rows: b)
        }
        let parts = out * h >= Self.splitDecoderSize ? min(inferenceThreads, out / 64) : 1
        let states = hiddenStates[shape.layers - 1], results = logits, weights = network.parameters
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
}
