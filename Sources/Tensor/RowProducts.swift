// MARK: - Row products: Y = X · Wᵀ for a few rows of X, reading W in place

import CKernels

/// Y[m × n] = (accumulate ? Y : 0) + X · Wᵀ: element (i, j) is the dot product of row i of X with
/// row j of W. W is read as stored (row-major n × k, the layout of a PyTorch weight such as
/// `rnn.weight_hh_l0` [H, H] or `decoder.weight` [V, H]), with no packing.
///
/// This is the matrix–vector path for inference on one stream or a handful (sampling one token
/// at a time), where the product is bound by reading W from memory: W is streamed once per
/// group of 4 rows of X, 8 rows of W at a time with independent accumulators. For many rows,
/// `matrixProduct` with a packed operand is faster. Sums are taken in a different order than
/// `matrixProduct`'s, so the two agree to rounding, not bit for bit; each is the same run to run.
///
/// - Parameters:
///   - m: rows of X and Y (any number; best at 1 to 4).
///   - n: rows of W, columns of Y.
///   - k: columns of X and W.
///   - x: X, row stride `ldx`.
///   - w: W, row stride `ldw`.
///   - y: Y, row stride `ldy`; only its m × n block is written.
///   - accumulate: add to Y instead of overwriting it.
///   - kernels: the kernel variant to use (tests run each one).
/// - Complexity: 2·m·n·k floating-point operations, reading n·k floats of W ⌈m / 4⌉ times.
public func rowProducts(
    m: Int, n: Int, k: Int,
    _ x: UnsafePointer<Float>, ldx: Int,
    _ w: UnsafePointer<Float>, ldw: Int,
    _ y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool, kernels: KernelSet = .current
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "negative matrix size")
    ck_row_dots(kernels.isa, m, n, k, x, ldx, w, ldw, y, ldy, accumulate ? 1 : 0)
}
