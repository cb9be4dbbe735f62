// Tokenizer throughput on a corpus, side by side with Swift's own grapheme iteration.
//
//   swift run -c release --package-path Benchmarks tokenizer-speed ../shared/data/tang/tang.txt
//
// Each variant reads the whole file through TextSource (1 MiB chunks of whole lines) and runs
// `--runs` times; the median wall time gives MB/s of UTF-8 input.

import Foundation
import Tokenizer

let arguments = CommandLine.arguments.dropFirst()
guard let path = arguments.first else {
    print("usage: tokenizer-speed FILE [RUNS]")
    exit(2)
}
let runs = arguments.dropFirst().first.flatMap { Int($0) } ?? 5

// The chunks are read once, so that every variant measures only its own work.
let source = try TextSource(path: path)
var chunks: [String] = []
while let chunk = try source.next() { chunks.append(chunk.text) }
let megabytes = Double(source.bytesRead) / 1e6

// BENCH_ONLY=word (say) runs only the variants whose name contains it, for profiling.
let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]

func measure(_ name: String, _ body: () throws -> Int) rethrows {
    if let only, !name.contains(only) { return }
    var times: [Double] = []
    var result = 0
    for _ in 0..<runs {
        let start = ContinuousClock.now
        result = try body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    let median = times.sorted()[times.count / 2]
    let line = "\(name.padding(toLength: 44, withPad: " ", startingAt: 0))"
        + String(format: "%8.1f MB/s  %6.3f s  %9d", megabytes / median, median, result)
    print(line)
}

print("\(path): \(String(format: "%.2f", megabytes)) MB, median of \(runs) runs")
print("variant                                         speed      time      count")
try measure("Swift String, for Character in text") {
    var n = 0
    for text in chunks { for _ in text { n += 1 } }
    return n
}
let graphemes = try Tokenizer(unit: .grapheme)
try measure("Tokenizer grapheme (NFC + ICU), tokens") {
    var n = 0
    for text in chunks { try graphemes.forEachToken(in: text) { _ in n += 1 } }
    return n
}
try measure("Tokenizer grapheme, tokens counted") {
    var counts = TokenCounts()
    for text in chunks { try graphemes.forEachToken(in: text) { counts.add($0) } }
    return counts.distinct
}
let words = try Tokenizer(unit: .word)
try measure("Tokenizer word (NFC + ICU dictionary), tokens") {
    var n = 0
    for text in chunks { try words.forEachToken(in: text) { _ in n += 1 } }
    return n
}
