// MARK: - Losses: a language model's and a sequence classifier's (forward, cross-entropy, backward)

import Tensor

extension Workspace {
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
        precondition(state.batch == batch && state.h.count == shape.layers
                     && state.c.count == (shape.cell == .lstm ? shape.layers : 0), "state of the wrong size")
        precondition(lengths.map { $0.count == batch } ?? true, "one length per stream")
        return inputs.withUnsafeBufferPointer { inputs in
            withOptionalPointer(lengths) { lengths in
                if shape.cell == .tutorial {  // TutorialCell.swift: layer and outputs together
                    tutorialForward(network, inputs: inputs.baseAddress!, planes: planes, state: state, lengths: lengths)
                } else {
                    forwardLayers(network, inputs: inputs.baseAddress!, planes: planes, state: state, lengths: lengths,
                                  dropout: dropout)
                    if shape.adaptiveSoftmax != nil {  // AdaptiveSoftmax.swift
                        precondition(lengths == nil, "an adaptive decoder scores only streams of full length")
                        return targets.withUnsafeBufferPointer { targets in
                            adaptiveSoftmaxLoss(network, inputs: inputs.baseAddress!, planes: planes, targets: targets.baseAddress!,
                                                gradients: gradients, scale: lossScale)
                        }
                    }
                    decodeAllSteps(network)
                }
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
        if shape.cell == .tutorial {  // TutorialCell.swift: the output of each sequence's last letter
            return inputs.withUnsafeBufferPointer { inputs in
                lengths.withUnsafeBufferPointer { lengths in
                    categories.withUnsafeBufferPointer { categories in
                        tutorialClassifierLoss(network, inputs: inputs.baseAddress!, lengths: lengths.baseAddress!,
                                               categories: categories.baseAddress!, weights: weights, gradients: gradients,
                                               lossScale: lossScale)
                    }
                }
            }
        }
        let state = HiddenState(shape: shape, batch: b)
        let w = network.views(network.parameters)
        let last = hiddenStates[shape.layers - 1].pointer + t * b * h  // h_T of the top layer, B × H
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
