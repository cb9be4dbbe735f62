// Matrix-product throughput (GFLOP/s) for the RNN's shapes, on each kernel set the CPU runs.
//
//   swift run -c release --package-path Benchmarks kernel-speed

import Foundation
import Tensor

func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func random(_ n: Int) -> [Float] {
    var rng = SeededGenerator(seed: UInt64(n))
    return (0..<n).map { _ in rng.uniform(-1, 1) }
}

// (m, n, k, what)
let shapes: [(Int, Int, Int, String)] = [
    (32, 256, 256, "recurrent h·W_hhᵀ, B=32 H=256"),
    (32, 512, 512, "recurrent h·W_hhᵀ, B=32 H=512"),
    (2048, 65, 256, "decoder logits, T·B=2048 V=65"),
    (2048, 8800, 256, "decoder logits, T·B=2048 V=8800"),
]
print("kernels   GFLOP/s  shape")
for set in KernelSet.supported {
    for (m, n, k, what) in shapes {
        let a = random(m * k), b = random(n * k)
        var c = [Float](repeating: 0, count: m * n)
        let packed = PackedMatrix(rows: k, columns: n)
        packed.pack(b, ldb: k, .transposed)
        let flops = 2.0 * Double(m * n * k)
        let reps = max(1, Int(2e9 / flops))
        var times: [Double] = []
        for _ in 0..<5 {
            times.append(seconds {
                for _ in 0..<reps { matrixProduct(m: m, a, lda: k, .none, packed, &c, ldc: n, accumulate: false, kernels: set) }
            })
        }
        let median = times.sorted()[2]
        print(set.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0), String(format: "%8.1f", flops * Double(reps) / median / 1e9), " ", what)
    }
}
