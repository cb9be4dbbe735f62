// The pointwise kernels of training (tanh, softmax cross-entropy) against the
// scalar libm loops they replaced, side by side in one run, on each kernel set the CPU runs.
//
//   swift run -c release --package-path Benchmarks pointwise-speed [runs]
//
// Each figure is the median of `runs` (default 15) timings by the thread's CPU clock, so that
// other processes sharing the cores inflate the figures less than wall time would. Then the
// error of the loss against Float64, for the old loop and the new kernels.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import BenchmarkTiming
import Tensor

let runs = CommandLine.arguments.count > 1 ? max(1, Int(CommandLine.arguments[1]) ?? 15) : 15

/// The median over `runs` of the CPU seconds of one call of `body`, which runs `reps` times.
func medianSeconds(reps: Int, _ body: () -> Void) -> Double {
    BenchmarkTiming.medianSeconds(runs: runs, reps: reps, body) / Double(reps)
}

func random(_ n: Int, _ low: Float, _ high: Float, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<n).map { _ in rng.uniform(low, high) }
}

// MARK: - The loops before the speed issue (libm, one element at a time)

enum LibM {
    static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = tanhf(x[i]) }
    }

    static func softmaxCrossEntropy(
        logits: UnsafePointer<Float>, rows: Int, columns: Int, ldl: Int, targets: UnsafePointer<Int32>,
        gradient: UnsafeMutablePointer<Float>?, scale: Float
    ) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = logits + r &* ldl
            var maximum = -Float.infinity
            for j in 0..<columns { maximum = max(maximum, row[j]) }
            let target = Int(targets[r])
            let targetLogit = row[target]
            var sum: Float = 0
            if let gradient {
                let g = gradient + r &* ldl
                for j in 0..<columns {
                    let e = expf(row[j] - maximum)
                    g[j] = e
                    sum += e
                }
                let factor = scale / sum
                for j in 0..<columns { g[j] *= factor }
                g[target] -= scale
            } else {
                for j in 0..<columns { sum += expf(row[j] - maximum) }
            }
            total -= Double(targetLogit - maximum - logf(sum))
        }
        return total
    }
}

// MARK: - Timings

let sets = KernelSet.supported
func right(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
print("load average at start: \(loadAverage()); median of \(runs) runs; thread CPU time; µs per call")
print("kernel".padding(toLength: 46, withPad: " ", startingAt: 0) + right("libm", 10)
    + sets.map { right($0.rawValue, 10) }.joined() + right("speed-up", 10))

/// One line: the old loop, then the new kernel on each set; the speed-up of the best set. The
/// time of `overhead` (setting up the inputs of each call) is subtracted from both.
func line(_ what: String, reps: Int, overhead: (() -> Void)? = nil, old: () -> Void, new: (KernelSet) -> Void) {
    let setup = overhead.map { medianSeconds(reps: reps, $0) } ?? 0
    let before = medianSeconds(reps: reps, old) - setup
    let after = sets.map { set in medianSeconds(reps: reps) { new(set) } - setup }
    print(what.padding(toLength: 46, withPad: " ", startingAt: 0) + right(String(format: "%.1f", before * 1e6), 10)
        + after.map { right(String(format: "%.1f", $0 * 1e6), 10) }.joined()
        + right(String(format: "%.1f×", before / after.min()!), 10))
}

// tanh of one step's pre-activations, B × H.
for (b, hidden) in [(32, 256), (32, 512)] {
    let n = b * hidden
    let pre = random(n, -3, 3, seed: 1)
    var x = pre
    // tanh works in place: each call first copies the inputs back (timed alone and subtracted).
    func restore() { x.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pre, count: n) } }
    line("tanh, B·H = \(b)·\(hidden)", reps: 200, overhead: restore) {
        restore()
        x.withUnsafeMutableBufferPointer { LibM.tanhInPlace($0.baseAddress!, count: n) }
    } new: { set in
        restore()
        tanhInPlace(&x, count: n, kernels: set)
    }
}

// Softmax cross-entropy of the decoder's T·B rows.
for (rows, columns) in [(2048, 63), (2048, 8800)] {
    let logits = random(rows * columns, -4, 4, seed: 4)
    var rng = SeededGenerator(seed: 5)
    let targets = (0..<rows).map { _ in Int32(rng.next() % UInt64(columns)) }
    var gradient = [Float](repeating: 0, count: rows * columns)
    let reps = max(1, 20_000_000 / (rows * columns))
    line("softmax CE + gradient, \(rows) × V=\(columns)", reps: reps) {
        gradient.withUnsafeMutableBufferPointer {
            _ = LibM.softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns, targets: targets,
                                         gradient: $0.baseAddress!, scale: 1 / Float(rows))
        }
    } new: { set in
        softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns, targets: targets,
                            gradient: &gradient, scale: 1 / Float(rows), kernels: set)
    }
    line("softmax CE, loss only, \(rows) × V=\(columns)", reps: reps) {
        _ = LibM.softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns, targets: targets,
                                     gradient: nil, scale: 1)
    } new: { set in
        softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns, targets: targets,
                            gradient: nil, scale: 1, kernels: set)
    }
}

// MARK: - Accuracy of the loss

/// The summed loss of the rows in Float64.
func exactLoss(_ logits: [Float], rows: Int, columns: Int, targets: [Int32]) -> Double {
    var total = 0.0
    for r in 0..<rows {
        let row = logits[(r * columns)..<((r + 1) * columns)].map(Double.init)
        let m = row.max()!
        total += m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[Int(targets[r])]
    }
    return total
}

print("\nSummed loss of 2,048 rows of logits uniform in [−s, s], error against Float64")
print("V".padding(toLength: 8, withPad: " ", startingAt: 0) + right("s", 4) + right("libm", 12)
    + sets.map { right($0.rawValue, 12) }.joined())
for columns in [63, 8800] {
    for spread: Float in [4, 30] {
        let rows = 2048
        let logits = random(rows * columns, -spread, spread, seed: 6)
        var rng = SeededGenerator(seed: 7)
        let targets = (0..<rows).map { _ in Int32(rng.next() % UInt64(columns)) }
        let exact = exactLoss(logits, rows: rows, columns: columns, targets: targets)
        let old = LibM.softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns,
                                           targets: targets, gradient: nil, scale: 1)
        let new = sets.map { set in
            softmaxCrossEntropy(logits: logits, rows: rows, columns: columns, ldl: columns, targets: targets,
                                gradient: nil, scale: 1, kernels: set)
        }
        print("\(columns)".padding(toLength: 8, withPad: " ", startingAt: 0) + right(String(format: "%.0f", spread), 4)
            + right(String(format: "%.2e", abs(old - exact)), 12)
            + new.map { right(String(format: "%.2e", abs($0 - exact)), 12) }.joined())
    }
}

print("\nload average at end: \(loadAverage())")
