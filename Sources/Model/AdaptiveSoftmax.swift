// MARK: - The adaptive-softmax decoder (PyTorch's nn.AdaptiveLogSoftmaxWithLoss): shape, loss, gradients, log-probabilities
//
// Grave et al. 2017, "Efficient softmax approximation for GPUs", as PyTorch computes it, with
// head_bias=False (PyTorch's default). The vocabulary, sorted by frequency, is cut at the cutoffs
// c_0 < c_1 < … < c_{n−1} < V into a shortlist [0, c_0) and n clusters [c_i, c_{i+1}) (c_n = V).
//
//     head      z = W_head h                           [c_0 + n]: the shortlist, then one logit per cluster
//     cluster i o_i = W_i,1 (W_i,0 h)                  W_i,0: [H // div^(i+1), H], W_i,1: [c_{i+1} − c_i, H // div^(i+1)]
//     log p(y)  = log_softmax(z)[y]                                         y < c_0
//               = log_softmax(z)[c_0 + i] + log_softmax(o_i)[y − c_i]        c_i ≤ y < c_{i+1}
//
// Training computes, per position, only the head and the one cluster of its target (the cost
// that makes a large vocabulary cheap); generation computes the full vector of log p over V.

import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of an adaptive-softmax decoder: PyTorch's `nn.AdaptiveLogSoftmaxWithLoss(H, V,
/// cutoffs, div_value)` with `head_bias=False`. Its tensors, under `decoder.`, are
/// `head.weight` [c_0 + n, H] and, for each cluster i, `tail.i.0.weight` [H // div^(i+1), H] and
/// `tail.i.1.weight` [c_{i+1} − c_i, H // div^(i+1)].
///
/// In a model's metadata it is the object `{"kind": "adaptive", "cutoffs": [...], "div_value": 4}`.
public struct AdaptiveSoftmax: Codable, Equatable, Sendable {
    /// The cutoffs as given (without V): increasing, from 1 to V − 1.
    public var cutoffs: [Int]
    /// The factor by which each cluster's projection is narrower than the one before
    /// (PyTorch's `div_value`).
    public var divValue: Double

    /// `--cutoffs`' default: the 2,000 most frequent letters in the head, then 4,000, then the rest.
    public static let defaultCutoffs = [2000, 6000]
    /// `--div-value`'s default, PyTorch's.
    public static let defaultDivValue = 4.0

    public init(cutoffs: [Int] = Self.defaultCutoffs, divValue: Double = Self.defaultDivValue) {
        self.cutoffs = cutoffs
        self.divValue = divValue
    }

    /// The shortlist: ids below this are scored by the head alone.
    public var shortlistSize: Int { cutoffs[0] }
    /// Clusters (n).
    public var clusterCount: Int { cutoffs.count }
    /// Logits of the head: the shortlist, then one per cluster.
    public var headSize: Int { cutoffs[0] + cutoffs.count }

    /// The ids of cluster i: c_i ..< c_{i+1}, with c_n = V.
    public func cluster(_ i: Int, vocabularySize v: Int) -> Range<Int> {
        cutoffs[i]..<(i + 1 < cutoffs.count ? cutoffs[i + 1] : v)
    }

    /// Units of cluster i's projection: H // div^(i+1), Python's floor division of floats.
    public func projectionSize(_ i: Int, hiddenSize h: Int) -> Int {
        Int((Double(h) / pow(divValue, Double(i + 1))).rounded(.down))
    }

    /// Why these cutoffs and divisor do not fit a decoder of V outputs reading H units, as
    /// a phrase ("cutoff 6000 is not below the vocabulary size 63 …"), or nil when they fit.
    public func problem(vocabularySize v: Int, hiddenSize h: Int) -> String? {
        guard !cutoffs.isEmpty else { return "has no cutoffs; give at least one" }
        if let bad = cutoffs.first(where: { $0 < 1 }) { return "has the cutoff \(bad); cutoffs must be at least 1" }
        if zip(cutoffs, cutoffs.dropFirst()).contains(where: { $0 >= $1 }) {
            return "has the cutoffs \(cutoffs.map(String.init).joined(separator: ",")), which are not increasing"
        }
        if let last = cutoffs.last, last >= v {
            let fitting = [max(1, v / 4), max(2, v / 2)].filter { $0 < v }
            let advice = v < 3 ? "the vocabulary is too small for an adaptive decoder"
                : "pass smaller cutoffs such as --cutoffs \(Array(Set(fitting)).sorted().map(String.init).joined(separator: ","))"
            return "has the cutoff \(last), not below the vocabulary size \(v); every cutoff must be below it: \(advice)"
        }
        guard divValue.isFinite, divValue > 0 else { return "has div_value \(divValue); it must be a positive number" }
        for i in cutoffs.indices where projectionSize(i, hiddenSize: h) < 1 {
            return "gives cluster \(i) a projection of \(h) // \(divValue)^\(i + 1) = 0 units; lower --div-value or use fewer cutoffs"
        }
        return nil
    }

    /// The decoder's tensors: PyTorch's names (under `decoder.`) and shapes, in state_dict order.
    public func tensors(hiddenSize h: Int, vocabularySize v: Int) -> [(name: String, shape: [Int])] {
        var result: [(String, [Int])] = [("decoder.head.weight", [headSize, h])]
        for i in cutoffs.indices {
            let p = projectionSize(i, hiddenSize: h)
            result.append(("decoder.tail.\(i).0.weight", [p, h]))
            result.append(("decoder.tail.\(i).1.weight", [cluster(i, vocabularySize: v).count, p]))
        }
        return result
    }

    /// The number of weights (nil on overflow).
    public func parameterCount(hiddenSize h: Int, vocabularySize v: Int) -> Int? {
        var total = 0
        for (_, shape) in tensors(hiddenSize: h, vocabularySize: v) {
            let (count, o1) = shape[0].multipliedReportingOverflow(by: shape[1])
            let (sum, o2) = total.addingReportingOverflow(count)
            if o1 || o2 { return nil }
            total = sum
        }
        return total
    }

    // MARK: Codable: {"kind": "adaptive", "cutoffs": [...], "div_value": 4}

    private enum CodingKeys: String, CodingKey { case kind, cutoffs, divValue = "div_value" }

    /// The kind this type stands for.
    public static let kind = "adaptive"

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        guard kind == Self.kind else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown decoder kind \(kind)")
        }
        cutoffs = try c.decode([Int].self, forKey: .cutoffs)
        divValue = try c.decodeIfPresent(Double.self, forKey: .divValue) ?? Self.defaultDivValue
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.kind, forKey: .kind)
        try c.encode(cutoffs, forKey: .cutoffs)
        try c.encode(divValue, forKey: .divValue)
    }
}

// MARK: - Pointers into a parameter (or gradient) block

/// Where the adaptive decoder's tensors lie in a block laid out like a network's parameters.
struct AdaptiveSoftmaxViews {
    /// `decoder.head.weight` [head, H].
    var head: UnsafeMutablePointer<Float>
    /// Per cluster, `decoder.tail.i.0.weight` [P_i, H] and `decoder.tail.i.1.weight` [V_i, P_i].
    var projections: [UnsafeMutablePointer<Float>], outputs: [UnsafeMutablePointer<Float>]

    init(_ layout: ParameterLayout, _ adaptive: AdaptiveSoftmax, _ block: UnsafeMutablePointer<Float>) {
        head = block + layout.offset("decoder.head.weight")
        projections = adaptive.cutoffs.indices.map { block + layout.offset("decoder.tail.\($0).0.weight") }
        outputs = adaptive.cutoffs.indices.map { block + layout.offset("decoder.tail.\($0).1.weight") }
    }
}

/// The decoder's scratch space in a workspace: head logits, the rows of one cluster, and the
/// packed weights of one training step. Allocated on first use, for at most `rows` rows.
final class AdaptiveSoftmaxBuffers {
    let head: FloatBuffer  // rows × headSize: logits, then their gradient
    let headTargets: UnsafeMutablePointer<Int32>  // rows: the head's class of each target
    let clusterRows: UnsafeMutablePointer<Int32>  // rows: the positions of one cluster's targets
    let clusterTargets: UnsafeMutablePointer<Int32>  // rows: their ids within the cluster
    let gathered: FloatBuffer  // rows × H: those positions' h; then their dL/dh
    let projected: FloatBuffer  // rows × max P_i
    let projectedGradient: FloatBuffer  // rows × max P_i
    let clusterLogits: FloatBuffer  // rows × max V_i: logits, then their gradient
    let packedHead: PackedMatrix, packedHeadBack: PackedMatrix
    let packedProjections: [PackedMatrix], packedProjectionsBack: [PackedMatrix]
    let packedOutputs: [PackedMatrix], packedOutputsBack: [PackedMatrix]

    init(_ adaptive: AdaptiveSoftmax, hiddenSize h: Int, vocabularySize v: Int, rows: Int) {
        let sizes = adaptive.cutoffs.indices.map { adaptive.projectionSize($0, hiddenSize: h) }
        let widths = adaptive.cutoffs.indices.map { adaptive.cluster($0, vocabularySize: v).count }
        head = FloatBuffer(count: rows * adaptive.headSize)
        headTargets = .allocate(capacity: rows)
        clusterRows = .allocate(capacity: rows)
        clusterTargets = .allocate(capacity: rows)
        gathered = FloatBuffer(count: rows * h)
        projected = FloatBuffer(count: rows * (sizes.max() ?? 0))
        projectedGradient = FloatBuffer(count: rows * (sizes.max() ?? 0))
        clusterLogits = FloatBuffer(count: rows * (widths.max() ?? 0))
        packedHead = PackedMatrix(rows: h, columns: adaptive.headSize)
        packedHeadBack = PackedMatrix(rows: adaptive.headSize, columns: h)
        packedProjections = sizes.map { PackedMatrix(rows: h, columns: $0) }
        packedProjectionsBack = sizes.map { PackedMatrix(rows: $0, columns: h) }
        packedOutputs = zip(sizes, widths).map { PackedMatrix(rows: $0, columns: $1) }
        packedOutputsBack = zip(sizes, widths).map { PackedMatrix(rows: $1, columns: $0) }
    }

    deinit {
        headTargets.deallocate()
        clusterRows.deallocate()
        clusterTargets.deallocate()
    }
}

// MARK: - Training and scoring: the loss of the targets, and its gradient

extension Workspace {
    /// The adaptive decoder's scratch space, made on first use.
    var adaptiveSoftmaxBuffers: AdaptiveSoftmaxBuffers {
        if let buffers = adaptiveBuffers { return buffers }
        let buffers = AdaptiveSoftmaxBuffers(shape.adaptiveSoftmax!, hiddenSize: shape.hiddenSize,
                                             vocabularySize: shape.outputSize, rows: batch * steps)
        adaptiveBuffers = buffers
        return buffers
    }

    /// The adaptive decoder over the top layer's h_1 … h_T (after `forwardLayers`): the summed
    /// −log p(target) over all T·B positions, as PyTorch's `AdaptiveLogSoftmaxWithLoss.forward`
    /// computes them (its loss is this sum over T·B). With `gradients`, accumulates d(sum ·
    /// `scale`)/d(decoder weights) and runs backpropagation through the layers from it.
    func adaptiveSoftmaxLoss(_ network: RecurrentNetwork, inputs: UnsafePointer<Int32>, planes: Int,
                             targets: UnsafePointer<Int32>, gradients: FloatBuffer?, scale: Float) -> Double
    {
        let adaptive = shape.adaptiveSoftmax!
        let h = shape.hiddenSize, v = shape.outputSize, rows = batch * steps, hs = adaptive.headSize
        let buffers = adaptiveSoftmaxBuffers
        let w = AdaptiveSoftmaxViews(network.layout, adaptive, network.parameters.pointer)
        let g = gradients.map { AdaptiveSoftmaxViews(network.layout, adaptive, $0.pointer) }
        let top = hiddenStates[shape.layers - 1].pointer + batch * h  // h_1 … h_T, rows × H
        let head = buffers.head.pointer

        // The head over every position; its class is the target itself or the target's cluster.
        buffers.packedHead.pack(w.head, ldb: h, .transposed)
        matrixProduct(m: rows, top, lda: h, .none, buffers.packedHead, head, ldc: hs, accumulate: false)
        for r in 0..<rows {
            let y = Int(targets[r])
            precondition(y >= 0 && y < v, "target outside the vocabulary")
            var headClass = y
            if y >= adaptive.shortlistSize {
                var i = 0
                while i + 1 < adaptive.clusterCount && y >= adaptive.cutoffs[i + 1] { i += 1 }
                headClass = adaptive.shortlistSize + i
            }
            buffers.headTargets[r] = Int32(headClass)
        }
        var loss = softmaxCrossEntropy(logits: head, rows: rows, columns: hs, ldl: hs, targets: buffers.headTargets,
                                       gradient: g == nil ? nil : head, scale: scale)
        // The head's part of dL/dh (dL/dW_head waits: it reads dz, which stays in `head`).
        let dTop = outputGradient[0].pointer
        if let g {
            matrixProduct(m: hs, n: h, k: rows, head, lda: hs, .transposed, top, ldb: h, .none, g.head, ldc: h,
                          accumulate: true)
            buffers.packedHeadBack.pack(w.head, ldb: h, .none)
            matrixProduct(m: rows, head, lda: hs, .none, buffers.packedHeadBack, dTop, ldc: h, accumulate: false)
        }

        // Each cluster over the positions whose target lies in it.
        let x = buffers.gathered.pointer, p = buffers.projected.pointer, o = buffers.clusterLogits.pointer
        for i in 0..<adaptive.clusterCount {
            let ids = adaptive.cluster(i, vocabularySize: v), ps = adaptive.projectionSize(i, hiddenSize: h)
            var n = 0
            for r in 0..<rows where ids.contains(Int(targets[r])) {
                buffers.clusterRows[n] = Int32(r)
                buffers.clusterTargets[n] = targets[r] - Int32(ids.lowerBound)
                (x + n * h).update(from: top + r * h, count: h)
                n += 1
            }
            guard n > 0 else { continue }
            buffers.packedProjections[i].pack(w.projections[i], ldb: h, .transposed)
            matrixProduct(m: n, x, lda: h, .none, buffers.packedProjections[i], p, ldc: ps, accumulate: false)
            buffers.packedOutputs[i].pack(w.outputs[i], ldb: ps, .transposed)
            matrixProduct(m: n, p, lda: ps, .none, buffers.packedOutputs[i], o, ldc: ids.count, accumulate: false)
            loss += softmaxCrossEntropy(logits: o, rows: n, columns: ids.count, ldl: ids.count,
                                        targets: buffers.clusterTargets, gradient: g == nil ? nil : o, scale: scale)
            guard let g else { continue }
            // do (in o) → dW_i,1 += doᵀ p, dp = do W_i,1 → dW_i,0 += dpᵀ x, dx = dp W_i,0.
            let dp = buffers.projectedGradient.pointer
            matrixProduct(m: ids.count, n: ps, k: n, o, lda: ids.count, .transposed, p, ldb: ps, .none, g.outputs[i],
                          ldc: ps, accumulate: true)
            buffers.packedOutputsBack[i].pack(w.outputs[i], ldb: ps, .none)
            matrixProduct(m: n, o, lda: ids.count, .none, buffers.packedOutputsBack[i], dp, ldc: ps, accumulate: false)
            matrixProduct(m: ps, n: h, k: n, dp, lda: ps, .transposed, x, ldb: h, .none, g.projections[i], ldc: h,
                          accumulate: true)
            buffers.packedProjectionsBack[i].pack(w.projections[i], ldb: h, .none)
            matrixProduct(m: n, dp, lda: ps, .none, buffers.packedProjectionsBack[i], x, ldc: h, accumulate: false)
            for k in 0..<n {
                let row = dTop + Int(buffers.clusterRows[k]) * h, dx = x + k * h
                for j in 0..<h { row[j] += dx[j] }
            }
        }
        if let gradients {
            backwardLayers(network, inputs: inputs, planes: planes, gradients: gradients, lengths: nil)
        }
        return loss
    }
}

// MARK: - Generation: the full vector of log-probabilities

extension AdaptiveSoftmax {
    /// log p over all V ids for each of `rows` hidden states (PyTorch's `log_prob`): the
    /// shortlist's from the head's log-softmax, each cluster's as the head's log-probability of
    /// the cluster plus the cluster's own log-softmax. Reads the weights as stored.
    ///
    /// - Parameters:
    ///   - parameters: the network's parameter block, in `layout`.
    ///   - hidden: rows × H (row stride H).
    ///   - out: rows × V (row stride `ldo`).
    func logProbabilities(layout: ParameterLayout, parameters: UnsafeMutablePointer<Float>, hiddenSize h: Int,
                          vocabularySize v: Int, hidden: UnsafePointer<Float>, rows: Int,
                          into out: UnsafeMutablePointer<Float>, ldo: Int)
    {
        guard rows > 0 else { return }
        let w = AdaptiveSoftmaxViews(layout, self, parameters)
        let hs = headSize
        var head = [Float](repeating: 0, count: rows * hs)
        let widest = cutoffs.indices.map { projectionSize($0, hiddenSize: h) }.max() ?? 0
        var projected = [Float](repeating: 0, count: rows * widest)
        head.withUnsafeMutableBufferPointer { head in
            let z = head.baseAddress!
            rowProducts(m: rows, n: hs, k: h, hidden, ldx: h, w.head, ldw: h, z, ldy: hs, accumulate: false)
            for r in 0..<rows {
                logSoftmax(z + r * hs, count: hs, into: z + r * hs)
                (out + r * ldo).update(from: z + r * hs, count: shortlistSize)
            }
            projected.withUnsafeMutableBufferPointer { projected in
                let p = projected.baseAddress!
                for i in 0..<clusterCount {
                    let ids = cluster(i, vocabularySize: v), ps = projectionSize(i, hiddenSize: h)
                    rowProducts(m: rows, n: ps, k: h, hidden, ldx: h, w.projections[i], ldw: h, p, ldy: ps,
                                accumulate: false)
                    rowProducts(m: rows, n: ids.count, k: ps, p, ldx: ps, w.outputs[i], ldw: ps, out + ids.lowerBound,
                                ldy: ldo, accumulate: false)
                    for r in 0..<rows {
                        let row = out + r * ldo + ids.lowerBound, clusterLogP = z[r * hs + shortlistSize + i]
                        logSoftmax(row, count: ids.count, into: row)
                        for j in 0..<ids.count { row[j] += clusterLogP }
                    }
                }
            }
        }
    }
}

extension Workspace {
    /// The adaptive decoder's full log-probabilities for `rows` top-layer states, into `logits`
    /// (rows × V): what generation draws from, with the sampler's temperature, top-k, top-p
    /// and masks applied to them as to a linear decoder's logits.
    func adaptiveLogProbabilities(_ network: RecurrentNetwork, hidden: UnsafePointer<Float>, rows: Int) {
        precondition(logits.count >= rows * shape.outputSize, "the workspace keeps no full logits for T > 1")
        shape.adaptiveSoftmax!.logProbabilities(
            layout: network.layout, parameters: network.parameters.pointer, hiddenSize: shape.hiddenSize,
            vocabularySize: shape.outputSize, hidden: hidden, rows: rows, into: logits.pointer, ldo: shape.outputSize)
    }
}

extension RecurrentNetwork {
    /// The decoder's output for each of `rows` top-layer hidden states (rows × H, PyTorch's
    /// order): the logits of a linear decoder, or the log-probabilities over the vocabulary of
    /// an adaptive one (either way, softmax of a row is the next-token distribution).
    public func decoderOutput(hidden: [Float], rows: Int) -> [Float] {
        let h = shape.hiddenSize, v = shape.outputSize
        precondition(hidden.count == rows * h, "hidden states of the wrong size")
        var out = [Float](repeating: 0, count: rows * v)
        hidden.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                if let adaptive = shape.adaptiveSoftmax {
                    adaptive.logProbabilities(layout: layout, parameters: parameters.pointer, hiddenSize: h,
                                              vocabularySize: v, hidden: x.baseAddress!, rows: rows,
                                              into: y.baseAddress!, ldo: v)
                } else {
                    let w = views(parameters)
                    rowProducts(m: rows, n: v, k: h, x.baseAddress!, ldx: h, w.decoderWeight, ldw: h, y.baseAddress!,
                                ldy: v, accumulate: false)
                    addRowVector(w.decoderBias, to: y.baseAddress!, rows: rows, columns: v, ldc: v)
                }
            }
        }
        return out
    }

    /// The decoder's output for a zero hidden state: what a stream that has read nothing yet
    /// draws from (a linear decoder's bias; the tutorial cell's i2o at x = 0 and h = 0, its bias).
    public var zeroStateOutput: [Float] {
        if shape.cell == .tutorial, let bias = layout.entry("i2o.bias") { return bias.read(from: parameters) }
        return decoderOutput(hidden: [Float](repeating: 0, count: shape.hiddenSize), rows: 1)
    }

    /// PyTorch's initialisation of the adaptive decoder's weights, from weights drawn uniform in
    /// ±1/√H: `nn.Linear` draws each weight uniform in ±1/√fan_in, and fan_in of
    /// `tail.i.1` is its projection's width P_i, so those weights are scaled by √H/√P_i.
    func rescaleAdaptiveInitialWeights() {
        guard let adaptive = shape.adaptiveSoftmax else { return }
        let h = shape.hiddenSize
        for i in adaptive.cutoffs.indices {
            guard let entry = layout.entry("decoder.tail.\(i).1.weight") else { continue }
            let factor = Float(h).squareRoot() / Float(adaptive.projectionSize(i, hiddenSize: h)).squareRoot()
            for k in 0..<entry.count { parameters[entry.offset + k] *= factor }
        }
    }
}
