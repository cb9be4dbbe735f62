// MARK: - Standard output and error: results, notes, the live progress line, Ctrl-C

import CharRNN
import Foundation

/// Buffered writes to a file descriptor; a large output is written in 64 KB pieces.
struct OutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    static func standardOutput() -> OutputStream { OutputStream(descriptor: STDOUT_FILENO) }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    mutating func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + start, bytes.count - start)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // The reader went away (EPIPE); nothing more can be written.
                }
                start += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes `text` to standard output at once.
func printOut(_ text: String) {
    var out = OutputStream.standardOutput()
    out.append(text)
    out.flush()
}

/// Writes text to standard error as it is.
func printRaw(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}

/// Prints one line on standard error: for notes and progress, never for results.
func printNote(_ text: String) { printRaw("charrnn: " + text + "\n") }

/// Prints one JSON document on standard output (keys sorted).
func printJSON<T: Encodable>(_ value: T) { printOut(jsonDocument(value) + "\n") }

/// An integer as every count the tool prints: 1,234,567.
func grouped(_ n: Int) -> String { groupedDigits(n) }

/// A duration for people: 42s, 3m05s, 1h02m.
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
        : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}

// MARK: - The live progress line

/// A training run's progress on standard error: on a terminal, one line redrawn in place that
/// always fits its width; elsewhere (a log file, CI) a plain line every `every` seconds and at the last step.
struct ProgressLine {
    let limit: Int?
    let maxTime: Double?
    let every: Double
    let live: Bool
    /// A fixed width in columns; nil: the terminal's width at each redraw.
    var width: Int?
    private var lastDraw = 0.0
    private var shown = false
    private var startStep: Int
    private let started = Date()
    /// The last validation loss, in the line's unit.
    var validation: Double?
    /// The factor from nats to the line's unit (1 / ln 2 for bits).
    var scale = 1 / log(2.0)

    init(limit: Int?, maxTime: Double?, startStep: Int, every: Double = 10, live: Bool = isatty(STDERR_FILENO) != 0,
         width: Int? = nil)
    {
        self.limit = limit
        self.maxTime = maxTime
        self.startStep = startStep
        self.every = every
        self.live = live
        self.width = width
    }

    /// Seconds left: the nearer of the step limit (at the speed so far) and the time limit.
    static func eta(step: Int, startStep: Int, limit: Int?, elapsed: Double, maxTime: Double?) -> Double? {
        let bySteps = limit.flatMap { limit in step > startStep ? elapsed / Double(step - startStep) * Double(limit - step) : nil }
        let byTime = maxTime.map { max(0, $0 - elapsed) }
        return [bySteps, byTime].compactMap { $0 }.min()
    }

    /// The line's fields, most important first; `fitted` drops them from the end.
    static func fields(step: Int, limit: Int?, epoch: Double, loss: Double, validation: Double?, rate: Double,
                       eta: Double?) -> [String] {
        var fields = ["step \(grouped(step))" + (limit.map { "/\(grouped($0))" } ?? ""),
                      String(format: "loss %.3f", loss)]
        if let validation { fields.append(String(format: "val %.3f", validation)) }
        fields.append(String(format: "epoch %.2f", epoch))
        if let eta { fields.append("ETA " + duration(eta)) }
        fields.append(rate >= 10_000 ? String(format: "%.1fk tok/s", rate / 1000) : String(format: "%.0f tok/s", rate))
        return fields
    }

    /// As many fields as fit in `width` columns (one left free so the cursor never wraps),
    /// with a bar in front when there is room.
    static func fitted(_ fields: [String], fraction: Double?, width: Int) -> String {
        var count = fields.count
        var line = fields.joined(separator: "  ")
        while count > 1 && terminalColumns(of: line) > width - 1 {
            count -= 1
            line = fields.prefix(count).joined(separator: "  ")
        }
        if terminalColumns(of: line) > width - 1 { line = String(line.prefix(max(0, width - 1))) }
        if let fraction, count == fields.count, terminalColumns(of: line) + 14 <= width - 1 {
            let filled = min(10, max(0, Int(10 * fraction)))
            line = "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: 10 - filled) + "]  " + line
        }
        return line
    }

    mutating func step(_ step: Int, loss: Double, rate: Double, epoch: Double) {
        let elapsed = Date().timeIntervalSince(started)
        let eta = Self.eta(step: step, startStep: startStep, limit: limit, elapsed: elapsed, maxTime: maxTime)
        let fields = Self.fields(step: step, limit: limit, epoch: epoch, loss: loss * scale, validation: validation,
                                 rate: rate, eta: eta)
        let now = Date().timeIntervalSince1970
        if live, let width = width ?? terminalWidth() {
            guard now - lastDraw > 0.1 || step == limit else { return }
            lastDraw = now
            let fraction = limit.map { Double(step) / Double(max($0, 1)) }
            printRaw("\r\u{1B}[K" + Self.fitted(fields, fraction: fraction, width: width))
            shown = true
        } else if lastDraw == 0 {
            lastDraw = now
        } else if now - lastDraw >= every || step == limit {
            printNote(fields.joined(separator: "  "))
            lastDraw = now
        }
    }

    /// A message that does not disturb the live line.
    mutating func note(_ text: String) {
        if shown {
            printRaw("\r\u{1B}[K")
            shown = false
        }
        printNote(text)
    }

    mutating func finish() {
        if shown { printRaw("\r\u{1B}[K") }
        shown = false
    }
}

/// The width of the terminal on standard error, or nil when it is not a terminal.
func terminalWidth() -> Int? {
    guard isatty(STDERR_FILENO) != 0 else { return nil }
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
    return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
}

// MARK: - Ctrl-C and SIGTERM

/// Set by Ctrl-C or SIGTERM (to the signal's number); training commands pass it to the library.
let stopToken = CancellationToken()

/// From now on, SIGINT and SIGTERM cancel `stopToken` instead of killing the process; a second
/// signal of either kind kills it as usual.
func catchStopSignals() {
    _ = stopToken.isCancelled  // initialised before any handler can run
    // A parent may have started this process with these signals blocked (the mask is inherited):
    // unblock them, or Ctrl-C would wait forever.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    for number in [SIGINT, SIGTERM] {
        signal(number) { received in
            stopToken.cancel(code: received)
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }
}

/// The exit status of a run stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
var stopStatus: Int32 { 128 + stopToken.reason }
