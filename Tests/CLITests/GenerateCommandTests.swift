// charrnn generate end to end on a small poem model trained in the test.

import Foundation
import Testing
import TestSupport

@Suite("charrnn generate")
struct GenerateCommandTests {
    /// A small model of the workflow test's poems, trained once for the suite.
    static let model: String = {
        let corpus = try! TemporaryFile(TrainWorkflowTests.text)
        let path = (corpus.path as NSString).deletingLastPathComponent + "/poems.safetensors"
        let run = try! charrnn(["train", "--corpus", corpus.path, "--out", path, "--steps", "30", "--lr", "0.01",
                                "--val-fraction", "0"] + TrainWorkflowTests.small)
        precondition(run.status == 0, run.stderr)
        // Keep the folder: TemporaryFile would delete it when `corpus` goes away.
        let keep = NSTemporaryDirectory() + "charrnn-generate-model-\(getpid()).safetensors"
        try? FileManager.default.removeItem(atPath: keep)
        try! FileManager.default.copyItem(atPath: path, toPath: keep)
        return keep
    }()

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    /// `XXXXX，XXXXX。` with n Han characters per half.
    static func wellFormed(_ line: String, _ n: Int) -> Bool {
        let c = Array(line)
        guard c.count == 2 * n + 2, c[n] == "，", c[2 * n + 1] == "。" else { return false }
        return (c[0..<n] + c[(n + 1)..<(2 * n + 1)]).allSatisfy { $0.unicodeScalars.allSatisfy(\.properties.isIdeographic) }
    }

    @Test func formWithSeedAndSameRngSeedSamePoem() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--seed", "春", "--form", "5", "--lines", "4",
                               "--rng-seed", "7"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = Self.lines(run.stdout)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { Self.wellFormed($0, 5) }, "\(lines)")
        #expect(lines.first?.first == "春")
        let again = try charrnn(["generate", "--model", Self.model, "--seed", "春", "--form", "5", "--lines", "4",
                                 "--rng-seed", "7"])
        #expect(again.stdout == run.stdout)
        var outputs: Set<String> = []
        for seed in 1...5 {
            outputs.insert(try charrnn(["generate", "--model", Self.model, "--form", "5", "--lines", "2",
                                        "--temperature", "1.5", "--rng-seed", String(seed)]).stdout)
        }
        #expect(outputs.count > 1, "different random seeds should give different poems")
    }

    @Test func acrosticWithSevenCharacterForm() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--acrostic", "春花夜月", "--form", "7", "--lines", "4",
                               "--rng-seed", "3", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])
        let sample = try #require(object["samples"]?.first)
        let lines = Self.lines(sample)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { Self.wellFormed($0, 7) }, "\(lines)")
        #expect(lines.map { $0.first! } == ["春", "花", "夜", "月"])
        // Text output streams the same sample.
        let text = try charrnn(["generate", "--model", Self.model, "--acrostic", "春花夜月", "--form", "7", "--lines", "4",
                                "--rng-seed", "3"])
        #expect(text.stdout == sample + "\n")
    }

    @Test func samplesLengthAndGreedy() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--seed", "床前", "--length", "30", "--samples", "3",
                               "--rng-seed", "1", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])
        let samples = try #require(object["samples"])
        #expect(samples.count == 3)
        #expect(samples.allSatisfy { $0.hasPrefix("床前") && $0.count == 32 })
        let greedy1 = try charrnn(["generate", "--model", Self.model, "--seed", "床", "--length", "20", "--temperature", "0",
                                   "--rng-seed", "1"])
        let greedy2 = try charrnn(["generate", "--model", Self.model, "--seed", "床", "--length", "20", "--temperature", "0",
                                   "--rng-seed", "2"])
        #expect(greedy1.stdout == greedy2.stdout, "greedy decoding does not depend on the random seed")
        let topK = try charrnn(["generate", "--model", Self.model, "--length", "20", "--top-k", "1", "--rng-seed", "5"])
        let argmax = try charrnn(["generate", "--model", Self.model, "--length", "20", "--temperature", "0"])
        #expect(topK.stdout == argmax.stdout, "top-k 1 is greedy")
    }

    @Test func badSeedsAndFormsAreOneLineErrors() throws {
        let unknown = try charrnn(["generate", "--model", Self.model, "--seed", "龘"])
        #expect(unknown.status != 0 && unknown.stderr.contains("龘") && unknown.stderr.contains("U+9F98"))
        let breaks = try charrnn(["generate", "--model", Self.model, "--seed", "床前明月光。", "--form", "5"])
        #expect(breaks.status != 0 && breaks.stderr.contains("breaks the form"))
        let acrostic = try charrnn(["generate", "--model", Self.model, "--acrostic", "龘", "--form", "5"])
        #expect(acrostic.status != 0 && acrostic.stderr.contains("龘"))
        for run in [unknown, breaks, acrostic] {
            #expect(run.stdout.isEmpty, "a refused seed is not printed: \(run.stdout)")
            #expect(run.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(run.stderr)")
        }
        // Any Unicode seed is safe: emoji, combining marks, right-to-left text, controls.
        let odd = try charrnn(["generate", "--model", Self.model, "--seed", "e\u{301}👨‍👩‍👧\u{202E}\u{1}", "--length", "3"])
        #expect(odd.status != 0 && !odd.stderr.isEmpty)
        let category = try charrnn(["generate", "--model", Self.model, "--category", "Russian"])
        #expect(category.status != 0 && category.stderr.contains("no categories"))
    }
}
