// Matrix-product and row-product throughput for the RNN's shapes, on each kernel set the CPU runs,
// and the speed of packing the weights.
//
//   swift run -c release --package-path Benchmarks kernel-speed [runs] [shape...]
//
// With shapes (such as 32×256×256, or 32x256x256), only the products of those shapes run.
// Each figure is the median of `runs` (default 9) timings of about 1 GFLOP of work (0.2 GFLOP
// for the row products), timed by the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), so that
// other processes sharing the cores inflate the figures less than wall time would. Built with
// `-Xswiftc -DBASELINE`, it leaves out what the library before the speed issue lacks (row
// products), so that the same program measures the old code (see Benchmarks/README.md).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BenchmarkTiming
import Tensor

let arguments = CommandLine.arguments.dropFirst()
let runs = max(1, arguments.compactMap { Int($0) }.first ?? 9)
let only = arguments.filter { Int($0) == nil }.map { $0.replacingOccurrences(of: "x", with: "×") }
func selected(_ m: Int, _ n: Int, _ k: Int) -> Bool { only.isEmpty || only.contains("\(m)×\(n)×\(k)") }

/// The median over `runs` of the CPU seconds of `reps` calls of `body`.
func medianSeconds(reps: Int, _ body: () -> Void) -> Double { BenchmarkTiming.medianSeconds(runs: runs, reps: reps, body) }

func random(_ n: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<n).map { _ in rng.uniform(-1, 1) }
}

func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
func cell(_ x: Double, width: Int = 9) -> String { right(String(format: "%.1f", x), width) }

let sets = KernelSet.supported
print("load average at start: \(loadAverage()); median of \(runs) runs; thread CPU time")

// MARK: - Matrix products

/// How a product is called: with the right operand packed once (as the forward and backward
/// passes use the weights), or unpacked with op(A) transposed (the weight gradients).
enum Call { case packed, gradient }

// (m, n, k, call, what)
let products: [(Int, Int, Int, Call, String)] = [
    (6, 16, 256, .packed, "one 6 × 16 tile, operands in L1: the micro-kernel's own speed"),
    (32, 128, 128, .packed, "recurrent h·W_hhᵀ, B=32 H=128"),
    (32, 256, 256, .packed, "recurrent h·W_hhᵀ, B=32 H=256"),
    (16, 256, 256, .packed, "recurrent, B=32 H=256 on two threads: 16 rows each"),
    (32, 512, 512, .packed, "recurrent h·W_hhᵀ, B=32 H=512"),
    (2048, 65, 256, .packed, "decoder logits, T·B=2048 V=65"),
    (2048, 2002, 256, .packed, "adaptive decoder's head, cutoff 2000: logits"),
    (2048, 8800, 256, .packed, "decoder logits, T·B=2048 V=8800"),
    (2048, 256, 8800, .packed, "decoder dH = dLogits·W_dec, V=8800"),
    (256, 256, 2048, .gradient, "dW_hh += dPreᵀ·H, H=256 T·B=2048"),
    (65, 256, 2048, .gradient, "dW_dec += dLogitsᵀ·H, V=65"),
    (8800, 256, 2048, .gradient, "dW_dec += dLogitsᵀ·H, V=8800"),
    (1, 256, 256, .packed, "one stream h·W_hhᵀ, H=256"),
    (1, 8800, 256, .packed, "one stream decoder, V=8800"),
]
let selectedProducts = products.filter { selected($0.0, $0.1, $0.2) }
if !selectedProducts.isEmpty {
    print("\nMatrix products, GFLOP/s (2·m·n·k)")
    print("m × n × k".padding(toLength: 18, withPad: " ", startingAt: 0)
        + sets.map { right($0.rawValue, 9) }.joined() + "  shape")
}
for (m, n, k, call, what) in selectedProducts {
    var line = "\(m)×\(n)×\(k)".padding(toLength: 18, withPad: " ", startingAt: 0)
    let flops = 2.0 * Double(m * n * k)
    let reps = max(1, Int(1e9 / flops))
    let a = random(m * k, seed: 1), b = random(n * k, seed: 2)
    var c = [Float](repeating: 0, count: m * n)
    for set in sets {
        let seconds: Double
        switch call {
        case .packed:
            let packed = PackedMatrix(rows: k, columns: n)
            packed.pack(b, ldb: k, .transposed)  // W is n × k; the product uses Wᵀ
            seconds = medianSeconds(reps: reps) {
                matrixProduct(m: m, a, lda: k, .none, packed, &c, ldc: n, accumulate: false, kernels: set)
            }
        case .gradient:  // C += Aᵀ·B with A stored k × m and B stored k × n
            seconds = medianSeconds(reps: reps) {
                matrixProduct(m: m, n: n, k: k, a, lda: m, .transposed, b, ldb: n, .none, &c, ldc: n,
                              accumulate: true, kernels: set)
            }
        }
        line += cell(flops * Double(reps) / seconds / 1e9)
    }
    print(line + "  " + what)
}

// MARK: - Packing

// (rows, columns) of the weight W, packed as Wᵀ (forward) or W (backward) at every training step.
let packShapes: [(Int, Int, String)] = [(256, 256, "W_hh, H=256"), (8800, 256, "W_dec, V=8800")]
if only.isEmpty {
    print("\nPackedMatrix.pack, GB/s of W read (µs per call)")
    for (rows, columns, what) in packShapes {
        let w = random(rows * columns, seed: 5)
        let reps = max(1, Int(2e8 / Double(rows * columns * 4)))
        var line = "\(rows)×\(columns)".padding(toLength: 12, withPad: " ", startingAt: 0)
        for (transpose, name) in [(Transpose.transposed, "Wᵀ"), (.none, "W")] {
            let packed = transpose == .transposed
                ? PackedMatrix(rows: columns, columns: rows) : PackedMatrix(rows: rows, columns: columns)
            let seconds = medianSeconds(reps: reps) { packed.pack(w, ldb: columns, transpose) }
            line += "  \(name):" + cell(Double(rows * columns * 4 * reps) / seconds / 1e9, width: 6)
                + String(format: " (%.0f µs)", seconds / Double(reps) * 1e6)
        }
        print(line + "  " + what)
    }
}

// MARK: - Row products

#if !BASELINE
// (m, n, k, what): y = x·Wᵀ with W an n × k weight read in place.
let rowShapes: [(Int, Int, Int, String)] = [
    (1, 8800, 256, "decoder, one stream, V=8800 H=256"),
    (1, 256, 256, "recurrent, one stream, H=256"),
    (4, 8800, 256, "decoder, four streams, V=8800 H=256"),
]
let selectedRows = rowShapes.filter { selected($0.0, $0.1, $0.2) }
if !selectedRows.isEmpty {
    print("\nRow products y = x·Wᵀ (rowProducts), GFLOP/s and GB/s of W read; and matrixProduct on W packed")
}
for (m, n, k, what) in selectedRows {
    let x = random(m * k, seed: 3), w = random(n * k, seed: 4)
    var y = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m * n * k)
    let bytes = Double(n * k * 4 * ((m + 3) / 4))
    let reps = max(1, Int(2e8 / flops))
    let packed = PackedMatrix(rows: k, columns: n)
    packed.pack(w, ldb: k, .transposed)
    print("\(m)×\(n)×\(k)  \(what)")
    for set in sets {
        let rows = medianSeconds(reps: reps) {
            rowProducts(m: m, n: n, k: k, x, ldx: k, w, ldw: k, &y, ldy: n, accumulate: false, kernels: set)
        }
        let product = medianSeconds(reps: reps) {
            matrixProduct(m: m, x, lda: k, .none, packed, &y, ldc: n, accumulate: false, kernels: set)
        }
        print("  " + set.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            + "rowProducts" + cell(flops * Double(reps) / rows / 1e9, width: 7) + " GFLOP/s"
            + cell(bytes * Double(reps) / rows / 1e9, width: 7) + " GB/s"
            + String(format: " %8.1f µs", rows / Double(reps) * 1e6)
            + "   matrixProduct" + cell(flops * Double(reps) / product / 1e9, width: 7) + " GFLOP/s"
            + String(format: " %8.1f µs", product / Double(reps) * 1e6))
    }
}
#endif

print("\nload average at end: \(loadAverage())")
