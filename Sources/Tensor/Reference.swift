// MARK: - Reference kernels: the plain loops the fast kernels are tested against

/// Plain implementations kept as oracles for the fast kernels.
public enum Reference {
    /// C[m × n] = (accumulate ? C : 0) + op(A) · op(B), summed in Double, one element at a time.
    public static func matrixProduct(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, _ transposeA: Transpose,
        _ b: UnsafePointer<Float>, ldb: Int, _ transposeB: Transpose,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c[i * ldc + j]) : 0
                for p in 0..<k {
                    let x = transposeA == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = transposeB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(x) * Double(y)
                }
                c[i * ldc + j] = Float(sum)
            }
        }
    }
}
