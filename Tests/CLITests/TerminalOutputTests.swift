// What the tool shows on a terminal: the live progress line fits any width, its ETA is the
// nearer of the step and time limits, and counts are grouped one way everywhere.

@testable import charrnn
import Testing
import Tokenizer

@Suite("Terminal output")
struct TerminalOutputTests {
    static let fields = ProgressLine.fields(step: 1234, limit: 100_000, epoch: 3.25, loss: 2.3456, validation: 2.5,
                                            rate: 146_000, eta: 593)

    @Test(arguments: [20, 40, 60, 80, 100, 120, 200])
    func theLiveLineFitsTheTerminalDroppingFieldsFromTheEnd(width: Int) {
        let line = ProgressLine.fitted(Self.fields, fraction: 0.012, width: width)
        #expect(terminalColumns(of: line) <= width - 1, "\(width): \(line)")
        #expect(line.contains("step 1,234/100,000"), "the step is always shown: \(line)")
        // Fields are dropped from the least important end, never cut in the middle.
        let shown = Self.fields.filter { line.contains($0) }
        #expect(shown == Array(Self.fields.prefix(shown.count)))
        if width >= 120 { #expect(shown.count == Self.fields.count && line.hasPrefix("[")) }
        if width <= 40 { #expect(!line.contains("tok/s")) }
    }

    @Test func anEightyColumnLineKeepsLossValidationEpochAndETA() {
        let line = ProgressLine.fitted(Self.fields, fraction: 0.5, width: 80)
        for field in ["loss 2.346", "val 2.500", "epoch 3.25", "ETA 9m53s"] { #expect(line.contains(field), "\(line)") }
    }

    @Test func etaIsTheNearerOfTheStepAndTimeLimits() {
        // 100 of 1,000 steps in 10 s: 90 s left by steps; a 60 s time limit leaves 50 s.
        #expect(ProgressLine.eta(step: 100, startStep: 0, limit: 1000, elapsed: 10, maxTime: 60) == 50)
        #expect(ProgressLine.eta(step: 100, startStep: 0, limit: 1000, elapsed: 10, maxTime: 600) == 90)
        #expect(ProgressLine.eta(step: 100, startStep: 0, limit: nil, elapsed: 10, maxTime: 60) == 50)
        #expect(ProgressLine.eta(step: 100, startStep: 0, limit: nil, elapsed: 10, maxTime: nil) == nil)
        #expect(ProgressLine.eta(step: 159, startStep: 50, limit: 250, elapsed: 59, maxTime: 60) == 1, "resumed runs count their own steps")
        #expect(ProgressLine.fields(step: 1, limit: nil, epoch: 0, loss: 1, validation: nil, rate: 10, eta: nil)
            .allSatisfy { !$0.contains("ETA") })
    }

    @Test func countsAreGroupedByThousands() {
        #expect(grouped(0) == "0" && grouped(999) == "999" && grouped(1000) == "1,000")
        #expect(grouped(5_940_240) == "5,940,240" && grouped(-12_345) == "-12,345")
        #expect(duration(59.6) == "1m00s" && duration(3725) == "1h02m" && duration(.infinity) == "?")
    }

    @Test func wideLettersCountTwoColumns() {
        #expect(terminalColumns(of: "春眠") == 4 && terminalColumns(of: "한국") == 4 && terminalColumns(of: "カナ") == 4)
        #expect(terminalColumns(of: "e\u{301}") == 1 && terminalColumns(of: "Schmidt") == 7)
    }
}
