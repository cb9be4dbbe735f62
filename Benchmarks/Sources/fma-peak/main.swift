// Peak float32 FMA throughput of this machine: one core, then one copy per core at once.
//
//   swift run -c release --package-path Benchmarks fma-peak [--json] [--runs 7] [--seconds 0.3]
//
// Each variant runs independent FMA chains in registers (AVX2: 12 ymm accumulators; AVX-512,
// only where the CPU reports it: 24 zmm), counting 2 flops per lane per FMA. A run lasts about
// --seconds; the median of --runs runs is reported. The all-core figure runs the same loop on
// --cores threads at once and divides all their flops by the wall time from the first start to
// the last finish. A chain of dependent one-cycle integer additions estimates the clock, which
// turns GFLOP/s into flops per cycle (32 for two 256-bit FMA pipes).

import CFMAPeak
import Dispatch
import Foundation

struct Options {
    var json = false
    var runs = 7
    var seconds = 0.3
    var cores = ProcessInfo.processInfo.activeProcessorCount
}

func usage() -> Never {
    let text = """
        usage: fma-peak [--json] [--runs N] [--seconds S] [--cores N]
          --json       print one JSON document instead of a table
          --runs N     timed runs per figure; the median is reported (default 7)
          --seconds S  approximate length of one run (default 0.3)
          --cores N    threads for the all-core figure (default: the active processors)

        """
    FileHandle.standardError.write(text.data(using: .utf8)!)
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value(_ name: String) -> String {
        guard let v = arguments.popFirst() else { usage() }
        return v
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--json": options.json = true
        case "--runs": guard let n = Int(value(argument)), n > 0 else { usage() }; options.runs = n
        case "--seconds": guard let s = Double(value(argument)), s > 0 else { usage() }; options.seconds = s
        case "--cores": guard let n = Int(value(argument)), n > 0 else { usage() }; options.cores = n
        default: usage()
        }
    }
    return options
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// A loop to time: runs `iterations` rounds and returns something that depends on all of them.
struct Variant: Sendable {
    let name: String
    let flopsPerIteration: Int
    let run: @Sendable (Int) -> Float
}

nonisolated(unsafe) var sink: Float = 0

/// Iterations that take about `seconds` on one core, found by doubling a short trial.
func calibrate(_ variant: Variant, seconds: Double) -> Int {
    var iterations = 1 << 12
    while true {
        let start = now()
        sink += variant.run(iterations)
        let elapsed = now() - start
        if elapsed > 0.02 {
            return max(1, Int(Double(iterations) * seconds / elapsed))
        }
        iterations *= 2
    }
}

/// GFLOP/s of one core, per run.
func singleCore(_ variant: Variant, iterations: Int, runs: Int) -> [Double] {
    (0..<runs).map { _ in
        let start = now()
        sink += variant.run(iterations)
        let elapsed = now() - start
        return Double(variant.flopsPerIteration) * Double(iterations) / elapsed / 1e9
    }
}

/// GFLOP/s of `cores` threads running the loop at once, per run: all their flops over the wall
/// time from the first thread's start to the last one's finish.
func allCores(_ variant: Variant, iterations: Int, runs: Int, cores: Int) -> [Double] {
    (0..<runs).map { _ in
        // (start, finish, result) per thread; each thread writes only its own slot.
        let spans = UnsafeMutableBufferPointer<(Double, Double, Float)>.allocate(capacity: cores)
        defer { spans.deallocate() }
        nonisolated(unsafe) let slots = spans
        DispatchQueue.concurrentPerform(iterations: cores) { i in
            let start = now()
            let r = variant.run(iterations)
            slots[i] = (start, now(), r)
        }
        sink += spans.map(\.2).reduce(0, +)
        let first = spans.map(\.0).min()!, last = spans.map(\.1).max()!
        return Double(cores) * Double(variant.flopsPerIteration) * Double(iterations) / (last - first) / 1e9
    }
}

/// The core clock in GHz, from a chain of dependent one-cycle additions (nil off x86-64).
func clockGHz(seconds: Double, runs: Int) -> Double? {
    let length = fp_add_chain_length()
    guard length > 0 else { return nil }
    let chain = Variant(name: "add", flopsPerIteration: length, run: { Float(fp_add_chain($0)) })
    let iterations = calibrate(chain, seconds: seconds)
    return median(singleCore(chain, iterations: iterations, runs: runs))  // "GFLOP/s" = Gadds/s = GHz
}

let options = parseOptions()
var variants: [Variant] = []
if fp_has_avx2_fma() != 0 {
    variants.append(Variant(name: "avx2+fma (12 ymm chains)", flopsPerIteration: fp_avx2_flops_per_iteration(),
                            run: { fp_avx2_fma($0, 1) }))
}
if fp_has_avx512f() != 0 {
    variants.append(Variant(name: "avx512f (24 zmm chains)", flopsPerIteration: fp_avx512_flops_per_iteration(),
                            run: { fp_avx512_fma($0, 1) }))
}
guard !variants.isEmpty else {
    FileHandle.standardError.write("fma-peak: this CPU has neither AVX2+FMA nor AVX-512F\n".data(using: .utf8)!)
    exit(1)
}

let ghz = clockGHz(seconds: min(options.seconds, 0.2), runs: options.runs)
struct Result {
    let name: String
    let single: [Double]
    let all: [Double]
}
var results: [Result] = []
for variant in variants {
    let iterations = calibrate(variant, seconds: options.seconds)
    let single = singleCore(variant, iterations: iterations, runs: options.runs)
    let all = allCores(variant, iterations: iterations, runs: options.runs, cores: options.cores)
    results.append(Result(name: variant.name, single: single, all: all))
}
let best = results.max { median($0.single) < median($1.single) }!

func json(_ xs: [Double]) -> String { "[" + xs.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "]" }

if options.json {
    var lines: [String] = []
    lines.append("\"isa\": \"\(best.name)\"")
    lines.append("\"single_core_gflops\": \(String(format: "%.2f", median(best.single)))")
    lines.append("\"all_core_gflops\": \(String(format: "%.2f", median(best.all)))")
    lines.append("\"single_core_gflops_max\": \(String(format: "%.2f", best.single.max()!))")
    lines.append("\"all_core_gflops_max\": \(String(format: "%.2f", best.all.max()!))")
    lines.append("\"cores\": \(options.cores)")
    lines.append("\"runs\": \(options.runs)")
    if let ghz {
        lines.append("\"clock_ghz_estimate\": \(String(format: "%.3f", ghz))")
        lines.append("\"flops_per_cycle_estimate\": \(String(format: "%.2f", median(best.single) / ghz))")
    }
    let each = results.map {
        "{\"isa\": \"\($0.name)\", \"single_core_gflops\": \(String(format: "%.2f", median($0.single))), "
            + "\"all_core_gflops\": \(String(format: "%.2f", median($0.all))), "
            + "\"single_core_runs\": \(json($0.single)), \"all_core_runs\": \(json($0.all))}"
    }
    lines.append("\"variants\": [" + each.joined(separator: ", ") + "]")
    print("{" + lines.joined(separator: ", ") + "}")
} else {
    print("float32 FMA peak, median of \(options.runs) runs of ~\(options.seconds) s (2 flops per lane per FMA)")
    if let ghz { print(String(format: "clock (dependent-add chain): %.2f GHz", ghz)) }
    print("variant                      1 core GFLOP/s (max)   \(options.cores) cores GFLOP/s (max)   flops/cycle (1 core)")
    for r in results {
        let perCycle = ghz.map { String(format: "%.1f", median(r.single) / $0) } ?? "-"
        print(r.name.padding(toLength: 28, withPad: " ", startingAt: 0),
              String(format: "%8.1f (%6.1f)", median(r.single), r.single.max()!),
              String(format: "%10.1f (%6.1f)", median(r.all), r.all.max()!),
              perCycle.padding(toLength: 6, withPad: " ", startingAt: 0))
    }
    print("(medians; the maxima are the better peak estimates on a busy machine)")
    if fp_has_avx512f() == 0 { print("(AVX-512F not reported by this CPU: no AVX-512 variant)") }
}
