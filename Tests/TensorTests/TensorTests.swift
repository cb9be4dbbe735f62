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

@Suite("Matrix products")
struct MatrixProductTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (8, 32, 16), (7, 31, 5), (9, 33, 257), (32, 65, 300), (33, 96, 64), (2, 130, 513),
    ]

    @Test(arguments: KernelSet.supported)
    func matchesReference(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 1)
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
                        var worst: Float = 0
                        var ok = true
                        for i in 0..<m {
                            for j in 0..<ldc {
                                let x = fast[i * ldc + j], y = slow[i * ldc + j]
                                if j >= n {  // padding columns must be untouched
                                    ok = ok && x == c0[i * ldc + j]
                                } else {
                                    worst = max(worst, abs(x - y))
                                    ok = ok && close(x, y, relative: 1e-5, absolute: 1e-5 * Float(k).squareRoot())
                                }
                            }
                        }
                        #expect(ok, "\(kernels) m=\(m) n=\(n) k=\(k) \(ta) \(tb) acc=\(accumulate): max diff \(worst)")
                    }
                }
            }
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

    @Test func everyKernelSetIsKnown() {
        #expect(KernelSet.supported.first == .portable)
        #expect(KernelSet.supported.contains(KernelSet.current))
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
