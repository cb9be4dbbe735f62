// MARK: - Training progress on standard error: a live bar on a terminal, plain lines otherwise

import Foundation

/// Shows a run's progress. On a terminal, one line redrawn in place (step, epoch, losses in
/// bits per token, speed, time left); elsewhere (a log file, CI) a plain line every `every` steps.
struct ProgressReporter {
    let total: Int
    let every: Int
    let live = isatty(STDERR_FILENO) != 0
    private var lastDraw = 0.0
    private var lastValidation: Double?
    private var startedAt = Date()
    private var startStep: Int
    private var barShown = false

    init(total: Int, startStep: Int, every: Int) {
        self.total = total
        self.startStep = startStep
        self.every = max(1, every)
    }

    mutating func step(_ step: Int, loss: Double, rate: Double, epoch: Double) {
        let bits = loss / log(2)
        let elapsed = Date().timeIntervalSince(startedAt)
        let done = Double(step - startStep)
        let eta = done > 0 ? elapsed / done * Double(total - step) : 0
        let validation = lastValidation.map { String(format: "  val %.3f", $0) } ?? ""
        let text = String(format: "step %d/%d  epoch %.2f  loss %.3f%@ bits/token  %@ tokens/s  ETA %@",
                          step, total, epoch, bits, validation, Self.number(rate), Self.duration(eta))
        if live {
            let now = Date().timeIntervalSince1970
            guard now - lastDraw > 0.1 || step == total else { return }
            lastDraw = now
            let width = 20
            let filled = min(width, Int(Double(width) * Double(step) / Double(max(total, 1))))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            printRaw("\r\u{1B}[K[\(bar)] " + text)
            barShown = true
        } else if step % every == 0 || step == total {
            printNote(text)
        }
    }

    mutating func validated(step: Int, loss: Double, improved: Bool) {
        lastValidation = loss / log(2)
        let text = String(format: "step %d: validation %.4f bits/token%@", step, loss / log(2),
                          improved ? " (best so far)" : "")
        note(text)
    }

    /// A message that does not disturb the live line.
    mutating func note(_ text: String) {
        if barShown {
            printRaw("\r\u{1B}[K")
            barShown = false
        }
        printNote(text)
    }

    mutating func finish() {
        if barShown { printRaw("\n") }
        barShown = false
    }

    static func number(_ x: Double) -> String {
        x >= 10_000 ? String(format: "%.1fk", x / 1000) : String(format: "%.0f", x)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

/// Writes text to standard error as it is.
func printRaw(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}
