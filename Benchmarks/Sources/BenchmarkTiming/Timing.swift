// What the kernel benchmarks share: a thread's CPU clock, the median of timed runs, the load.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The CPU time of this thread, in seconds (other processes on the core do not count).
public func threadSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The median over `runs` of the thread CPU seconds of `reps` calls of `body`, after one
/// untimed call that warms the caches and the page tables.
public func medianSeconds(runs: Int, reps: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = threadSeconds()
        for _ in 0..<reps { body() }
        times.append(threadSeconds() - start)
    }
    return times.sorted()[runs / 2]
}

/// The 1, 5 and 15-minute load averages, as /proc/loadavg gives them.
public func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
        .joined(separator: " ") ?? "?"
}
