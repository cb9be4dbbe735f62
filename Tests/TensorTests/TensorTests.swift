// The fast kernels against the plain reference kernels, on every instruction set this CPU runs.

import Foundation
import Testing
import Tensor

/// |x − y| ≤ absolute + relative · |y|, the one tolerance of these tests: float32 products of
/// length up to a few hundred, against a Double-accumulated reference.
func close(_ x: Float, _ y: Float, relative: Float = 1e-5, absolute: Float = 1e-5) -> Bool {
    abs(x - y) <= absolute + relative * abs(y)
}

func randomArray(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in rng.uniform(-1, 1) }
}

/// The largest |fast − reference| allowed for a sum of k products of numbers in [−1, 1].
func productTolerance(k: Int) -> (relative: Float, absolute: Float) {
    (1e-5, 1e-5 * Float(max(k, 1)).squareRoot())
}

/// Checks `fast` against `slow` (both m × ldc row-major, the result in the first n columns) and
/// that the padding columns still hold `start`. Returns a description of the first failure.
func compare(_ fast: [Float], _ slow: [Float], start: [Float], m: Int, n: Int, k: Int, ldc: Int) -> String? {
    var worst: Float = 0
    var failure: String?
    for i in 0..<m {
        for j in 0..<ldc {
            let x = fast[i * ldc + j], y = slow[i * ldc + j]
            if j >= n {
                if x != start[i * ldc + j], failure == nil { failure = "padding [\(i), \(j)] changed" }
            } else {
                worst = max(worst, abs(x - y))
                let t = productTolerance(k: k)
                if !close(x, y, relative: t.relative, absolute: t.absolute), failure == nil {
                    failure = "[\(i), \(j)] is \(x), expected \(y)"
                }
            }
        }
    }
    return failure.map { "\($0) (max diff \(worst))" }
}

@Suite("Matrix products")
struct MatrixProductTests {
    /// Shapes around the tiles (6 × 16; 2 × 32 for the last one or two rows; 12 × 8 for a last
    /// panel of 8 columns or fewer), the 256-step block and the 144-row block, and products
    /// large enough (m·n·k ≥ 2²²) that the operands are copied into panels first (A as stored
    /// too when B has 64 panels or more: 13 × 1030 × 320).
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (8, 32, 16), (7, 31, 5), (9, 33, 257), (32, 65, 300), (33, 96, 64), (2, 130, 513),
            (6, 16, 256), (12, 48, 512), (145, 17, 20), (150, 40, 259), (32, 256, 33), (13, 24, 40), (14, 65, 31),
            (25, 8, 300), (146, 72, 100), (148, 40, 710), (7, 65, 9300), (13, 1030, 320),
        ]
        for m in 1...9 {
            for n in [1, 7, 16, 17, 65] {
                for k in [1, 5, 256, 300] { shapes.append((m, n, k)) }
            }
        }
        return shapes
    }()

    /// The default set runs here, and is the best one but for AVX2 in place of AVX-512.
    @Test func preferredKernels() {
        let preferred = KernelSet.preferred
        #expect(preferred.isSupported)
        #expect(preferred == KernelSet.best || (preferred == .avx2 && KernelSet.best == .avx512))
        #expect(getenv("CHARRNN_KERNELS") != nil || KernelSet.current == preferred)
    }

    @Test(arguments: KernelSet.supported)
    func matchesReference(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 1)
        var failures: [String] = []
        for (m, n, k) in Self.shapes {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    for accumulate in [false, true] {
                        // Row strides larger than the rows, to catch stride mistakes.
                        let lda = (ta == .none ? k : m) + 3, ldb = (tb == .none ? n : k) + 2, ldc = n + 5
                        let a = randomArray((ta == .none ? m : k) * lda, &rng)
                        let b = randomArray((tb == .none ? k : n) * ldb, &rng)
                        let c0 = randomArray(m * ldc, &rng)
                        var fast = c0, slow = c0
                        matrixProduct(m: m, n: n, k: k, a, lda: lda, ta, b, ldb: ldb, tb, &fast, ldc: ldc,
                                      accumulate: accumulate, kernels: kernels)
                        Reference.matrixProduct(m: m, n: n, k: k, a, lda: lda, ta, b, ldb: ldb, tb, &slow,
                                                ldc: ldc, accumulate: accumulate)
                        if let failure = compare(fast, slow, start: c0, m: m, n: n, k: k, ldc: ldc) {
                            failures.append("m=\(m) n=\(n) k=\(k) \(ta) \(tb) acc=\(accumulate): \(failure)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(kernels): \(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// The packed operand, packed from B as stored and from Bᵀ.
    @Test(arguments: KernelSet.supported)
    func packedMatchesReference(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 4)
        var failures: [String] = []
        for (m, n, k) in Self.shapes where m * n * k <= 200_000 {
            for tb in [Transpose.none, .transposed] {
                let ldb = (tb == .none ? n : k) + 1, ldc = n + 2
                let a = randomArray(m * k, &rng), b = randomArray((tb == .none ? k : n) * ldb, &rng)
                let c0 = randomArray(m * ldc, &rng)
                let packed = PackedMatrix(rows: k, columns: n)
                packed.pack(b, ldb: ldb, tb)
                var fast = c0, slow = c0
                matrixProduct(m: m, a, lda: k, .none, packed, &fast, ldc: ldc, accumulate: true, kernels: kernels)
                Reference.matrixProduct(m: m, n: n, k: k, a, lda: k, .none, b, ldb: ldb, tb, &slow, ldc: ldc,
                                        accumulate: true)
                if let failure = compare(fast, slow, start: c0, m: m, n: n, k: k, ldc: ldc) {
                    failures.append("m=\(m) n=\(n) k=\(k) \(tb): \(failure)")
                }
            }
        }
        #expect(failures.isEmpty, "\(kernels): \(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// A row of C is the same bits whichever tile, row block or call computes it, and from run
    /// to run: what the model relies on when it splits a batch across threads.
    @Test(arguments: KernelSet.supported, [(151, 37, 530), (13, 1030, 320)])
    func resultsDoNotDependOnBlocking(kernels: KernelSet, shape: (Int, Int, Int)) {
        var rng = SeededGenerator(seed: 5)
        let (m, n, k) = shape
        let a = randomArray(m * k, &rng), b = randomArray(k * n, &rng)
        var whole = [Float](repeating: 0, count: m * n), again = whole
        matrixProduct(m: m, n: n, k: k, a, lda: k, .none, b, ldb: n, .none, &whole, ldc: n, accumulate: false,
                      kernels: kernels)
        matrixProduct(m: m, n: n, k: k, a, lda: k, .none, b, ldb: n, .none, &again, ldc: n, accumulate: false,
                      kernels: kernels)
        #expect(whole == again)
        for i in [0, 5, 6, 12, 143, 144, 150] where i < m {
            var row = [Float](repeating: 0, count: n)
            a.withUnsafeBufferPointer { a in
                matrixProduct(m: 1, n: n, k: k, a.baseAddress! + i * k, lda: k, .none, b, ldb: n, .none, &row, ldc: n,
                              accumulate: false, kernels: kernels)
            }
            #expect(row == Array(whole[(i * n)..<(i * n + n)]), "row \(i)")
        }
    }

    @Test func packedOperandIsReusable() {
        var rng = SeededGenerator(seed: 2)
        let (m, n, k) = (5, 40, 20)
        let a = randomArray(m * k, &rng), b = randomArray(k * n, &rng)
        let packed = PackedMatrix(rows: k, columns: n)
        packed.pack(b, ldb: n, .none)
        var once = [Float](repeating: 0, count: m * n), twice = once
        matrixProduct(m: m, a, lda: k, .none, packed, &once, ldc: n, accumulate: false)
        matrixProduct(m: m, a, lda: k, .none, packed, &twice, ldc: n, accumulate: false)
        matrixProduct(m: m, a, lda: k, .none, packed, &twice, ldc: n, accumulate: true)
        #expect(zip(once, twice).allSatisfy { $0 * 2 == $1 })
    }

    @Test func emptyProducts() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [9], b: [Float] = [9]
        matrixProduct(m: 2, n: 2, k: 0, a, lda: 1, .none, b, ldb: 2, .none, &c, ldc: 2, accumulate: true)
        #expect(c == [1, 2, 3, 4])
        matrixProduct(m: 2, n: 2, k: 0, a, lda: 1, .none, b, ldb: 2, .none, &c, ldc: 2, accumulate: false)
        #expect(c == [0, 0, 0, 0])
        matrixProduct(m: 0, n: 2, k: 3, a, lda: 3, .none, b, ldb: 2, .none, &c, ldc: 2, accumulate: false)
        rowProducts(m: 0, n: 2, k: 3, a, ldx: 3, b, ldw: 3, &c, ldy: 2, accumulate: false)
        #expect(c == [0, 0, 0, 0])
    }

    @Test func everyKernelSetIsKnown() {
        #expect(KernelSet.supported.first == .portable)
        #expect(KernelSet.supported.contains(KernelSet.current))
    }
}

@Suite("Row products")
struct RowProductTests {
    /// Y = X · Wᵀ against the Float64 reference (W as a transposed right operand), on rows of X
    /// from 1 to 9 (groups of 4 and their remainders), rows of W around the groups of 8, 4 and 2,
    /// and lengths around the 8- and 16-lane vectors.
    @Test(arguments: KernelSet.supported)
    func matchesReference(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 6)
        var failures: [String] = []
        for m in 1...9 {
            for n in [1, 2, 3, 7, 8, 9, 17, 65] {
                for k in [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 256, 300] {
                    for accumulate in [false, true] {
                        let ldx = k + 3, ldw = k + 1, ldy = n + 4
                        let x = randomArray(m * ldx, &rng), w = randomArray(n * ldw, &rng)
                        let y0 = randomArray(m * ldy, &rng)
                        var fast = y0, slow = y0
                        rowProducts(m: m, n: n, k: k, x, ldx: ldx, w, ldw: ldw, &fast, ldy: ldy,
                                    accumulate: accumulate, kernels: kernels)
                        Reference.matrixProduct(m: m, n: n, k: k, x, lda: ldx, .none, w, ldb: ldw, .transposed,
                                                &slow, ldc: ldy, accumulate: accumulate)
                        if let failure = compare(fast, slow, start: y0, m: m, n: n, k: k, ldc: ldy) {
                            failures.append("m=\(m) n=\(n) k=\(k) acc=\(accumulate): \(failure)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(kernels): \(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// The decoder's shape in generation: one stream, V = 8800 (not a multiple of 8 rows of W
    /// per pass plus a tail), H = 256, and the same bits on a second call.
    @Test(arguments: KernelSet.supported)
    func decoderShape(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 7)
        let (m, n, k) = (3, 8803, 256)
        let x = randomArray(m * k, &rng), w = randomArray(n * k, &rng)
        var fast = [Float](repeating: 0, count: m * n), again = fast, slow = fast
        rowProducts(m: m, n: n, k: k, x, ldx: k, w, ldw: k, &fast, ldy: n, accumulate: false, kernels: kernels)
        rowProducts(m: m, n: n, k: k, x, ldx: k, w, ldw: k, &again, ldy: n, accumulate: false, kernels: kernels)
        Reference.matrixProduct(m: m, n: n, k: k, x, lda: k, .none, w, ldb: k, .transposed, &slow, ldc: n,
                                accumulate: false)
        #expect(fast == again)
        #expect(compare(fast, slow, start: fast, m: m, n: n, k: k, ldc: n) == nil)
    }
}

@Suite("Pointwise kernels")
struct PointwiseTests {
    @Test func softmaxCrossEntropyIsStableAndMatchesDouble() {
        // Rows with huge logits would overflow a naive exp.
        let logits: [Float] = [1, 2, 3, 0, 1000, 1001, 999, -1000, -5, -5, -5, -5]
        let targets: [Int32] = [2, 1, 3]
        var gradient = [Float](repeating: 0, count: 12)
        let loss = softmaxCrossEntropy(logits: logits, rows: 3, columns: 4, ldl: 4, targets: targets,
                                       gradient: &gradient, scale: 0.5)
        var expected = 0.0
        for r in 0..<3 {
            let row = logits[(r * 4)..<(r * 4 + 4)].map(Double.init)
            let m = row.max()!
            let logSum = log(row.map { exp($0 - m) }.reduce(0, +)) + m
            expected -= row[Int(targets[r])] - logSum
            for j in 0..<4 {
                let p = exp(row[j] - logSum)
                let g = 0.5 * (p - (j == Int(targets[r]) ? 1 : 0))
                #expect(abs(Double(gradient[r * 4 + j]) - g) < 1e-6)
            }
        }
        #expect(loss.isFinite)
        #expect(abs(loss - expected) < 1e-4)
        // Each gradient row sums to zero.
        for r in 0..<3 { #expect(abs(gradient[(r * 4)..<(r * 4 + 4)].reduce(0, +)) < 1e-6) }
    }

    @Test func gatherAndScatterAreAdjoint() {
        var rng = SeededGenerator(seed: 3)
        let table = randomArray(6 * 4, &rng)
        let indices: [Int32] = [5, 0, 5]
        var out = [Float](repeating: 1, count: 3 * 4)
        addGatheredRows(table, ldt: 4, indices: indices, count: 3, to: &out, columns: 4, ldo: 4)
        for r in 0..<3 { for j in 0..<4 { #expect(out[r * 4 + j] == 1 + table[Int(indices[r]) * 4 + j]) } }
        var gradient = [Float](repeating: 0, count: 6 * 4)
        scatterAddRows(out, ldr: 4, indices: indices, count: 3, to: &gradient, columns: 4, ldt: 4)
        for j in 0..<4 {
            #expect(gradient[5 * 4 + j] == out[0 * 4 + j] + out[2 * 4 + j])
            #expect(gradient[0 * 4 + j] == out[1 * 4 + j])
            #expect(gradient[1 * 4 + j] == 0)
        }
    }

    @Test func tanhAndItsGradient() {
        var x: [Float] = [-20, -1, 0, 0.5, 3]
        let pre = x
        tanhInPlace(&x, count: 5)
        for (h, p) in zip(x, pre) { #expect(close(h, Float(tanh(Double(p))), relative: 1e-6, absolute: 1e-7)) }
        var d = [Float](repeating: 0, count: 5)
        tanhBackward([1, 1, 1, 1, 1], x, &d, count: 5)
        for (g, p) in zip(d, pre) {
            let exact = 1 - pow(tanh(Double(p)), 2)
            #expect(abs(Double(g) - exact) < 1e-6)
        }
    }

    @Test func seededGeneratorIsReproducibleAndUniform() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xs = (0..<1000).map { _ in a.uniform(-0.5, 0.5) }
        #expect(xs == (0..<1000).map { _ in b.uniform(-0.5, 0.5) })
        #expect(xs != (0..<1000).map { _ in c.uniform(-0.5, 0.5) })
        #expect(xs.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
        let mean = xs.reduce(0, +) / 1000
        #expect(abs(mean) < 0.05)  // 5 standard errors (σ = 1/√12 / √1000 ≈ 0.009)
    }
}
