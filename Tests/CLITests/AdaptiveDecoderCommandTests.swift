// charrnn train --decoder adaptive end to end: train, resume bit for bit, eval, generate (free,
// verse forms, regulated), info; and the one-line errors of cutoffs that do not fit.

import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("charrnn train --decoder adaptive")
struct AdaptiveDecoderCommandTests {
    /// The poems' vocabulary has 39 letters; these cutoffs give a shortlist of 4 and two clusters.
    static let adaptive = ["--decoder", "adaptive", "--cutoffs", "4,12", "--div-value", "2"]

    @Test func trainEvalGenerateInfo() throws {
        let corpus = try TemporaryFile(TrainWorkflowTests.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let out = folder + "/adaptive.safetensors"
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "30", "--lr", "0.01",
                                 "--val-fraction", "0", "--format", "json"] + TrainWorkflowTests.small + Self.adaptive)
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as! [String: Any]
        let trainBits = summary["train_bits_per_token"] as! Double, baseline = summary["baseline_bits_per_token"] as! Double
        #expect(trainBits < baseline, "the model learnt: \(trainBits) vs the letter-frequency baseline \(baseline)")

        let file = try SafeTensorsFile(contentsOf: out)
        #expect(Set(file.names.filter { $0.hasPrefix("decoder.") }) == [
            "decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight", "decoder.tail.1.0.weight",
            "decoder.tail.1.1.weight"])
        #expect(file.metadata["charrnn"]!.contains(#""decoder":{"cutoffs":[4,12],"div_value":2,"kind":"adaptive"}"#))

        let info = try charrnn(["info", "--model", out])
        #expect(info.status == 0 && info.stdout.contains("decoder      adaptive softmax: shortlist of 4, clusters 4–11 (6 units), 12–"),
                "\(info.stdout)")
        let json = try charrnn(["info", "--model", out, "--format", "json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let decoder = document["decoder"] as? [String: Any]
        #expect(decoder?["kind"] as? String == "adaptive" && decoder?["cutoffs"] as? [Int] == [4, 12]
                && decoder?["div_value"] as? Double == 2, "\(json.stdout)")

        // eval scores the text with the full distribution; a text the model trained on scores
        // below the uniform log2(39).
        let eval = try charrnn(["eval", "--model", out, "--text", corpus.path, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let score = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as! [String: Any]
        let bits = score["bits_per_token"] as! Double
        #expect(bits.isFinite && bits < log2(39.0), "\(bits)")

        let free = try charrnn(["generate", "--model", out, "--seed", "春", "--length", "40", "--top-k", "5",
                                "--top-p", "0.9", "--temperature", "0.8", "--bits", "--rng-seed", "3", "--samples", "9"])
        #expect(free.status == 0, "\(free.stderr)")
        #expect(free.stdout.count > 9 * 40 / 2, "\(free.stdout)")
        let again = try charrnn(["generate", "--model", out, "--seed", "春", "--length", "40", "--top-k", "5",
                                 "--top-p", "0.9", "--temperature", "0.8", "--bits", "--rng-seed", "3", "--samples", "9"])
        #expect(again.stdout == free.stdout, "same seed, same text")
        let form = try charrnn(["generate", "--model", out, "--form", "5", "--lines", "4", "--rng-seed", "1"])
        #expect(form.status == 0, "\(form.stderr)")
        let lines = GenerateCommandTests.lines(form.stdout)
        #expect(lines.count == 4 && lines.allSatisfy { GenerateCommandTests.wellFormed($0, 5) }, "\(lines)")
    }

    /// Every update rule trains the adaptive decoder's weights (they live in the one flat block).
    @Test(arguments: ["adam", "sgd", "adagrad", "rmsprop"])
    func everyOptimizer(optimizer: String) throws {
        let corpus = try TemporaryFile(TrainWorkflowTests.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let out = folder + "/\(optimizer).safetensors"
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--steps", "6", "--val-fraction", "0",
                               "--optimizer", optimizer, "--format", "json"] + TrainWorkflowTests.small + Self.adaptive)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        #expect((summary["train_bits_per_token"] as? Double)?.isFinite == true)
        let initial = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/start.safetensors", "--steps", "1",
                                   "--lr", "1e-30", "--val-fraction", "0", "--optimizer", optimizer]
                                  + TrainWorkflowTests.small + Self.adaptive)
        #expect(initial.status == 0, "\(initial.stderr)")
        let before = try TrainWorkflowTests.tensors(folder + "/start.safetensors")
        let after = try TrainWorkflowTests.tensors(out)
        for name in ["decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight",
                     "decoder.tail.1.0.weight", "decoder.tail.1.1.weight"] {
            #expect(before[name] != nil && before[name] != after[name], "\(optimizer) left \(name) unchanged")
        }
    }

    @Test func resumedRunEndsWithTheSameWeights() throws {
        let corpus = try TemporaryFile(TrainWorkflowTests.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let straight = folder + "/straight.safetensors", stopped = folder + "/stopped.safetensors"
        let common = ["train", "--corpus", corpus.path, "--eval-every", "5"] + TrainWorkflowTests.small + Self.adaptive
        #expect(try charrnn(common + ["--out", straight, "--steps", "16"]).status == 0)
        #expect(try charrnn(common + ["--out", stopped, "--steps", "7"]).status == 0)
        let second = try charrnn(["train", "--corpus", corpus.path, "--out", stopped, "--steps", "16", "--resume"])
        #expect(second.status == 0, "\(second.stderr)")
        let a = try TrainWorkflowTests.tensors(straight + ".resume.safetensors")
        let b = try TrainWorkflowTests.tensors(stopped + ".resume.safetensors")
        #expect(a.keys.sorted() == b.keys.sorted() && a.keys.contains("decoder.tail.1.1.weight"))
        for (name, values) in a { #expect(values == b[name], "\(name) differs after resuming") }
        // The decoder is the model's: another one on --resume is refused.
        let other = try charrnn(["train", "--corpus", corpus.path, "--out", stopped, "--steps", "20", "--resume",
                                 "--cutoffs", "5,12", "--decoder", "adaptive"])
        #expect(other.status == 1 && other.stderr.contains("--cutoffs 4,12"), "\(other.stderr)")
    }

    @Test func cutoffsThatDoNotFitAreOneLineErrors() throws {
        let corpus = try TemporaryFile(TrainWorkflowTests.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let out = folder + "/never.safetensors"
        let base = ["train", "--corpus", corpus.path, "--out", out, "--steps", "2"] + TrainWorkflowTests.small
        for (flags, message) in [
            (["--decoder", "adaptive"], "has the cutoff 6000, not below the vocabulary size 39"),
            (["--decoder", "adaptive", "--cutoffs", "12,4"], "not increasing"),
            (["--decoder", "adaptive", "--cutoffs", "4,39"], "not below the vocabulary size 39"),
            (["--decoder", "adaptive", "--cutoffs", "0,4"], "at least 1"),
            (["--decoder", "adaptive", "--cutoffs", "4,x"], "whole numbers separated by commas"),
            (["--decoder", "adaptive", "--cutoffs", "4,12", "--div-value", "100"], "0 units"),
            (["--decoder", "adaptive", "--div-value", "0"], "--div-value must be a positive number"),
            (["--cutoffs", "4,12"], "go with --decoder adaptive"),
            (["--decoder", "adaptive", "--cutoffs", "4,12", "--cell", "tutorial"], "drop --decoder adaptive"),
        ] {
            let run = try charrnn(base + flags)
            #expect(run.status >= 1 && run.status <= 127, "\(flags): status \(run.status)")
            #expect(run.stderr.contains(message), "\(flags): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(flags): one line: \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        // The error names cutoffs that fit.
        let defaults = try charrnn(base + ["--decoder", "adaptive"])
        #expect(defaults.stderr.contains("--cutoffs 9,19"), "\(defaults.stderr)")

        // Fine-tuning keeps the model's decoder: asking for another is refused.
        let linear = folder + "/linear.safetensors"
        #expect(try charrnn(["train", "--corpus", corpus.path, "--out", linear, "--steps", "2"] + TrainWorkflowTests.small).status == 0)
        let tune = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/tuned.safetensors", "--steps", "2",
                                "--init-from", linear] + Self.adaptive)
        #expect(tune.status == 1 && tune.stderr.contains("--decoder linear"), "\(tune.stderr)")
    }
}
