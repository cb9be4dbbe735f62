// MARK: - Row and element operations of the RNN: biases, one-hot gathers, tanh, softmax

import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// c[i, :] += v for each of the `rows` rows of c (row stride ldc, `columns` wide).
public func addRowVector(
    _ v: UnsafePointer<Float>, to c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int
) {
    for i in 0..<rows {
        let row = c + i &* ldc
        for j in 0..<columns { row[j] += v[j] }
    }
}

/// v[j] += Σᵢ a[i, j]: the gradient of a bias added to every row.
public func addColumnSums(
    of a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int, to v: UnsafeMutablePointer<Float>
) {
    for i in 0..<rows {
        let row = a + i &* lda
        for j in 0..<columns { v[j] += row[j] }
    }
}

/// out[r, :] += table[indices[r], :]: a one-hot input times a weight matrix, as a row gather.
public func addGatheredRows(
    _ table: UnsafePointer<Float>, ldt: Int, indices: UnsafePointer<Int32>, count: Int,
    to out: UnsafeMutablePointer<Float>, columns: Int, ldo: Int
) {
    for r in 0..<count {
        let source = table + Int(indices[r]) &* ldt
        let row = out + r &* ldo
        for j in 0..<columns { row[j] += source[j] }
    }
}

/// table[indices[r], :] += rows[r, :]: the gradient of `addGatheredRows` with respect to table.
public func scatterAddRows(
    _ rows: UnsafePointer<Float>, ldr: Int, indices: UnsafePointer<Int32>, count: Int,
    to table: UnsafeMutablePointer<Float>, columns: Int, ldt: Int
) {
    for r in 0..<count {
        let target = table + Int(indices[r]) &* ldt
        let row = rows + r &* ldr
        for j in 0..<columns { target[j] += row[j] }
    }
}

/// x = tanh(x), elementwise, within 2 ulp (vectorized exp and polynomials; see CKPointwise.h).
public func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, kernels: KernelSet = .current) {
    ck_tanh(kernels.isa, count, x, x)
}

/// x = σ(x) = 1 / (1 + e^−x), elementwise, as ½ + ½·tanh(x/2): the vectorized tanh, so within
/// about 1e-7 absolute (σ's values lie in (0, 1); tiny ones lose relative precision, which no
/// gate needs).
public func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, kernels: KernelSet = .current) {
    for i in 0..<count { x[i] *= 0.5 }
    ck_tanh(kernels.isa, count, x, x)
    for i in 0..<count { x[i] = 0.5 + 0.5 * x[i] }
}

/// out = dh ⊙ (1 − h²): the gradient through h = tanh(pre), given h. (Memory-bound: the compiler
/// vectorizes this loop as well as a C kernel would.)
public func tanhBackward(
    _ dh: UnsafePointer<Float>, _ h: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int
) {
    for i in 0..<count { out[i] = dh[i] * (1 - h[i] * h[i]) }
}

/// Softmax cross-entropy of each row of `logits` against `targets`, computed stably through
/// log-softmax (the row maximum is subtracted before exponentiating).
///
/// - Parameters:
///   - logits: rows × columns (row stride ldl).
///   - targets: the right column of each row.
///   - gradient: if given, receives (softmax − one-hot) · `scale` for each row (same layout as
///     logits): the gradient of `scale` × the summed loss. It may be the logits themselves.
///   - kernels: the variant of the row kernel to use (tests run each one).
/// - Returns: the summed loss −Σ log softmax(logits)[target], in nats, accumulated in Double.
/// - Complexity: one exp per logit.
@discardableResult
public func softmaxCrossEntropy(
    logits: UnsafePointer<Float>, rows: Int, columns: Int, ldl: Int, targets: UnsafePointer<Int32>,
    gradient: UnsafeMutablePointer<Float>?, scale: Float, kernels: KernelSet = .current
) -> Double {
    var total = 0.0
    for r in 0..<rows {
        let row = logits + r &* ldl
        let target = Int(targets[r])
        let targetLogit = row[target]  // read first: the gradient may overwrite the logits
        let g = gradient.map { $0 + r &* ldl }
        // The row kernel leaves softmax · scale in g and returns Σ exp(logit − max).
        var maximum: Float = 0
        let sum = ck_softmax_row(kernels.isa, columns, row, g, scale, &maximum)
        g?[target] -= scale
        // −log softmax[target] = max + log Σ exp(logit − max) − logit[target].
        total += Double(maximum) - Double(targetLogit) + log(sum)
    }
    return total
}

/// log softmax of one row of `count` logits, into out: logits − max − log Σ exp(logits − max).
public func logSoftmax(
    _ logits: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>, kernels: KernelSet = .current
) {
    var maximum: Float = 0
    let logSum = Float(log(ck_softmax_row(kernels.isa, count, logits, nil, 0, &maximum)))
    for j in 0..<count { out[j] = logits[j] - maximum - logSum }
}
