// The training workflow end to end: validation and best model, resume equality, Ctrl-C and
// SIGTERM, divergence, logs and plots, fine-tuning.

import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("charrnn train workflow")
struct TrainWorkflowTests {
    static let text = String(repeating: "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n\n", count: 12)
    static let small = ["--hidden", "12", "--batch-size", "4", "--seq-length", "8", "--threads", "2"]

    /// The tensors of a safetensors file (metadata aside), to compare two runs bit for bit.
    static func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: path)
        var result: [String: [Float]] = [:]
        for name in file.names { result[name] = try file.floats(name) }
        return result
    }

    /// The Elman cell; a 2-layer LSTM with dropout (its carried state has c as well as h, and
    /// its masks come from the seed and step); a GRU.
    static let cells: [[String]] = [[], ["--cell", "lstm", "--layers", "2", "--dropout", "0.3"], ["--cell", "gru"],
                                     ["--cell", "tutorial"]]

    @Test(arguments: cells)
    func resumedRunEndsWithTheSameWeights(cell: [String]) throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let straight = folder + "/straight.safetensors", stopped = folder + "/stopped.safetensors"
        let common = ["train", "--corpus", corpus.path, "--eval-every", "5"] + Self.small + cell
        let one = try charrnn(common + ["--out", straight, "--steps", "24"])
        #expect(one.status == 0, "\(one.stderr)")
        let first = try charrnn(common + ["--out", stopped, "--steps", "11"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try charrnn(["train", "--corpus", corpus.path, "--out", stopped, "--steps", "24", "--resume"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("resuming") && second.stderr.contains("at step 11"))
        let a = try Self.tensors(straight + ".resume.safetensors"), b = try Self.tensors(stopped + ".resume.safetensors")
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, values) in a { #expect(values == b[name], "\(name) differs after resuming") }
        if cell.contains("lstm") { #expect(a.keys.contains("state.c_l1"), "the LSTM's cell state is carried") }
        guard cell.isEmpty else { return }

        // Resuming with a different text, batch size or cell is refused with a way out.
        let other = try TemporaryFile(Self.text + "多")
        let wrongText = try charrnn(["train", "--corpus", other.path, "--out", stopped, "--steps", "30", "--resume"])
        #expect(wrongText.status != 0 && wrongText.stderr.contains("without --resume"))
        let wrongBatch = try charrnn(["train", "--corpus", corpus.path, "--out", stopped, "--steps", "30", "--resume",
                                      "--batch-size", "8"])
        #expect(wrongBatch.status != 0 && wrongBatch.stderr.contains("--batch-size 4"))
        let wrongCell = try charrnn(["train", "--corpus", corpus.path, "--out", stopped, "--steps", "30", "--resume",
                                     "--cell", "gru"])
        #expect(wrongCell.status != 0 && wrongCell.stderr.contains("--cell rnn"))
        let none = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/never.safetensors", "--resume"])
        #expect(none.status != 0 && none.stderr.contains("does not exist"))
    }

    /// A run whose settings are all the defaults but --threads 1 resumes on 1 thread, not on
    /// every core (the default of a new run): the thread count decides the weights.
    @Test func resumeKeepsTheThreadCountOfADefaultRun() throws {
        let corpus = try TemporaryFile(String(repeating: Self.text, count: 6))
        let out = (corpus.path as NSString).deletingLastPathComponent + "/defaults.safetensors"
        let first = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--hidden", "8", "--steps", "2",
                                 "--threads", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "3", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("on 1 thread(s)"), "\(resumed.stderr)")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalSavesAndStops(signal: Int32) throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let out = folder + "/model.safetensors"
        let process = Process()
        process.executableURL = charrnnURL
        // --max-time is a backstop: the run ends by itself if the signal were lost.
        process.arguments = ["train", "--corpus", corpus.path, "--out", out, "--steps", "10000000", "--eval-every", "3",
                             "--max-time", "120"] + Self.small
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the run has saved once (a resume file exists), then signal it.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + ".resume.safetensors") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, signal)
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == (signal == SIGINT ? 130 : 143), "\(message)")
        #expect(message.contains("continue with --resume"))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.contains(".tmp") })
        let saved = try charrnn(["info", "--model", out + ".resume.safetensors", "--format", "json"])
        #expect(saved.status == 0)
        let step = try #require(try JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any])
        let training = try #require(step["training"] as? [String: Any])
        let stoppedAt = try #require(training["steps"] as? Int)
        #expect(stoppedAt > 0)
        let resumed = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--resume", "--steps", String(stoppedAt + 2)])
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    @Test func divergenceStopsAndSaysWhichFlagToChange() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/nan.safetensors"
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "50", "--eval-every", "1",
                               "--lr", "1e38", "--optimizer", "sgd", "--clip", "0"] + Self.small)
        #expect(run.status != 0)
        #expect(run.stderr.contains("NaN or infinite") && run.stderr.contains("--lr"))
    }

    @Test func bestModelLogPlotAndJSONSummary() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let out = folder + "/m.safetensors", log = folder + "/m.csv", plot = folder + "/m.svg"
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "20", "--eval-every", "5",
                               "--lr", "0.01", "--log", log, "--plot", plot, "--format", "json"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let best = try #require(summary["val_bits_per_token"] as? Double)
        #expect(run.stderr.contains("baselines") && run.stderr.contains("letter frequencies only"))
        let rows = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "step,train_bits_per_token,val_bits_per_token,lr,tokens_per_second")
        #expect(rows.count == 5)  // header + steps 5, 10, 15, 20
        let validation = rows.dropFirst().compactMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[2]) }
        #expect(abs(validation.min()! - best) < 1e-4)
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("<svg"))
        // --out holds the best model: eval on the held-out part matches the best validation score.
        let info = try charrnn(["info", "--model", out, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let training = try #require(object["training"] as? [String: Any])
        #expect(abs((training["val_bits_per_token"] as? Double ?? 0) - best) < 1e-9)
    }

    @Test func fineTuningReportsLettersTheModelLacks() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let base = folder + "/base.safetensors"
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", base, "--steps", "4", "--max-vocab", "12"] + Self.small)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("unknown token"))
        let newText = try TemporaryFile(Self.text + "秋风萧瑟天气凉\n")
        let tune = try charrnn(["train", "--corpus", newText.path, "--out", folder + "/tuned.safetensors", "--steps", "3",
                                "--init-from", base, "--batch-size", "4", "--seq-length", "8"])
        #expect(tune.status == 0, "\(tune.stderr)")
        #expect(tune.stderr.contains("unknown token"))
        let strict = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/strict.safetensors", "--steps", "2"]
            + Self.small)
        #expect(strict.status == 0)
        let refused = try charrnn(["train", "--corpus", newText.path, "--out", folder + "/x.safetensors", "--steps", "2",
                                   "--init-from", folder + "/strict.safetensors", "--batch-size", "4", "--seq-length", "8"])
        #expect(refused.status != 0 && refused.stderr.contains("\"秋\""))
        let changed = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/y.safetensors", "--init-from", base,
                                   "--hidden", "64"])
        #expect(changed.status != 0 && changed.stderr.contains("--hidden"))
    }

    /// Letters drawn at random from four: nothing to learn beyond their frequencies, so held-out
    /// loss stops improving soon.
    static func noise(lines: Int) -> String {
        var state: UInt64 = 12345
        var text = ""
        for line in 0..<lines {
            for _ in 0..<40 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                text.append(["a", "b", "c", "d"][Int(state >> 62)])
            }
            text += line % 4 == 3 ? "\n\n" : "\n"
        }
        return text
    }

    @Test func withNoLimitTrainingStopsWhenValidationStopsImproving() throws {
        let corpus = try TemporaryFile(Self.noise(lines: 60))
        let out = (corpus.path as NSString).deletingLastPathComponent + "/noise.safetensors"
        // --max-time is a backstop only: the run must end by the patience rule.
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--hidden", "8", "--batch-size", "4",
                               "--seq-length", "8", "--eval-every", "2", "--patience", "3", "--min-improvement", "0", "--lr", "0.05",
                               "--threads", "1",
                               "--max-time", "120", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(summary["stopped"] as? String == "early stop", "\(run.stderr)")
        #expect(run.stderr.contains("until 3 validations bring no improvement"))
        #expect(run.stderr.contains("learning rate now 0.025"), "a plateau halves the rate")
        let steps = try #require(summary["steps"] as? Int), best = try #require(summary["best_step"] as? Int)
        #expect(steps == best + 3 * 2, "three validations, two steps apart, after the best")
    }

    @Test func withNothingHeldOutARunNeedsALimit() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/none.safetensors"
        let endless = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--val-fraction", "0"] + Self.small)
        #expect(endless.status != 0 && endless.stderr.contains("nothing says when to stop"), "\(endless.stderr)")
        let limited = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--val-fraction", "0", "--steps", "3"]
            + Self.small)
        #expect(limited.status == 0, "\(limited.stderr)")
        let huge = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--val-fraction", "0", "--steps", "2",
                                "--max-time", "1e19"] + Self.small)
        #expect(huge.status == 0, "a huge time limit is no limit: \(huge.stderr)")
    }

    @Test func aRunThatEndsAboveTheLetterFrequencyBaselineSaysSo() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/short.safetensors"
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "1", "--lr", "1e-6"] + Self.small)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("not below the letter-frequency baseline"), "\(run.stderr)")
    }

    @Test func theRandomSeedIsRngSeedAndTheOldSpellingStillWorksWithANote() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let common = ["train", "--corpus", corpus.path, "--steps", "3"] + Self.small
        let new = try charrnn(common + ["--out", folder + "/a.safetensors", "--rng-seed", "3"])
        #expect(new.status == 0, "\(new.stderr)")
        let old = try charrnn(common + ["--out", folder + "/b.safetensors", "--seed", "3"])
        #expect(old.status == 0 && old.stderr.contains("--seed N is now --rng-seed N"), "\(old.stderr)")
        let other = try charrnn(common + ["--out", folder + "/c.safetensors", "--rng-seed", "4"])
        #expect(other.status == 0)
        let a = try Self.tensors(folder + "/a.safetensors"), b = try Self.tensors(folder + "/b.safetensors")
        #expect(a == b, "the same seed by either name gives the same weights")
        #expect(a != (try Self.tensors(folder + "/c.safetensors")))
    }
}
