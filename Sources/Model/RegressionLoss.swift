// MARK: - A regression head: windows of a real-valued series in, the next values out, mean squared error
//
// The forecaster's network is the same stacked recurrent network as the others, with
// `NetworkShape.denseInput` set: layer 0 reads x_t ∈ ℝ^In by a product with W_ih, and the
// decoder reads the top layer's last state, as a classifier's does, to give Out real values:
//
//     ŷ = W_dec h_T + b_dec        loss = Σ_b Σ_j (ŷ_bj − y_bj)²

import Tensor

extension Workspace {
    /// One batch of a regressor: B windows of T steps, each read from a zero state; the decoder
    /// reads the top layer's h_T and the squared error scores it against `targets`.
    ///
    /// - Parameters:
    ///   - inputs: T × B × In real values, time-major (the row of step t, window b is t·B + b).
    ///   - targets: B × Out values, or nil to predict only.
    ///   - gradients: accumulates d(loss · lossScale)/dparameters, when given (needs `targets`).
    ///   - lossScale: the factor of the summed loss whose gradient is accumulated; 1/(B·Out)
    ///     for PyTorch's `nn.MSELoss()` (the mean).
    ///   - dropout: dropout between layers (training).
    /// - Returns: the summed squared error (0 without targets) and the predictions, B × Out.
    public func regressionLoss(
        _ network: RecurrentNetwork, inputs: [Float], targets: [Float]?, gradients: FloatBuffer?, lossScale: Float,
        dropout: Dropout? = nil
    ) -> (loss: Double, predictions: [Float]) {
        let h = shape.hiddenSize, b = batch, t = steps, out = shape.outputSize
        precondition(shape.denseInput, "a regressor reads real-valued inputs (NetworkShape.denseInput)")
        precondition(inputs.count == t * b * shape.inputSize, "inputs of the wrong size")
        precondition(targets.map { $0.count == b * out } ?? (gradients == nil), "targets of the wrong size")
        inputs.withUnsafeBufferPointer { denseInputs.pointer.update(from: $0.baseAddress!, count: inputs.count) }
        let state = HiddenState(shape: shape, batch: b)
        let w = network.views(network.parameters)
        let last = hiddenStates[shape.layers - 1].pointer + t * b * h  // h_T of the top layer, B × H
        let unused: [Int32] = [0]  // no one-hot planes: layer 0 reads `denseInputs`
        return unused.withUnsafeBufferPointer { none in
            forwardLayers(network, inputs: none.baseAddress!, planes: 0, state: state, lengths: nil, dropout: dropout)
            let y = logits.pointer  // B × Out
            packedDecoder.pack(w.decoderWeight, ldb: h, .transposed)
            matrixProduct(m: b, last, lda: h, .none, packedDecoder, y, ldc: out, accumulate: false)
            addRowVector(w.decoderBias, to: y, rows: b, columns: out, ldc: out)
            let predictions = Array(UnsafeBufferPointer(start: y, count: b * out))
            guard let targets else { return (0, predictions) }
            var loss = 0.0
            let dY = headGradient.pointer  // dL/dŷ = 2 (ŷ − y) · scale
            for i in 0..<(b * out) {
                let error = predictions[i] - targets[i]
                loss += Double(error) * Double(error)
                dY[i] = 2 * error * lossScale
            }
            guard let gradients else { return (loss, predictions) }
            let g = network.views(gradients)
            matrixProduct(m: out, n: h, k: b, dY, lda: out, .transposed, last, ldb: h, .none,
                          g.decoderWeight, ldc: h, accumulate: true)
            addColumnSums(of: dY, rows: b, columns: out, lda: out, to: g.decoderBias)
            let dTop = outputGradient[0].pointer  // only h_T is read: dL/dh_t = 0 for t < T
            dTop.update(repeating: 0, count: b * t * h)
            packedDecoderBack.pack(w.decoderWeight, ldb: h, .none)
            matrixProduct(m: b, dY, lda: out, .none, packedDecoderBack, dTop + (t - 1) * b * h, ldc: h,
                          accumulate: false)
            backwardLayers(network, inputs: none.baseAddress!, planes: 0, gradients: gradients, lengths: nil)
            return (loss, predictions)
        }
    }
}
