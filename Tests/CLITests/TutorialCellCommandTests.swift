// --cell tutorial (the 2017 PyTorch tutorial's SimpleRNN) through the commands: train-classifier
// and classify, the pytorch-tutorial recipe, train-generator and generate, train and generate,
// info and eval; and what it refuses.

import Foundation
import Testing
import TestSupport

@Suite("The tutorial cell through the commands")
struct TutorialCellCommandTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func classifierTrainsClassifiesAndIsDescribed() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../classifier-tutorial-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let train = try charrnn(["train-classifier", "--data", folder, "--out", model, "--cell", "tutorial", "--hidden", "16",
                                 "--epochs", "40", "--patience", "40", "--lr", "0.01", "--batch-size", "8",
                                 "--val-fraction", "0.2", "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let accuracy = try #require(try Self.json(train.stdout)["accuracy"] as? Double)
        #expect(accuracy >= 0.8, "held-out accuracy \(accuracy)")
        let info = try Self.json(try charrnn(["info", "--model", model, "--format", "json"]).stdout)
        #expect(info["cell"] as? String == "tutorial" && info["num_layers"] as? Int == 1 && info["hidden_size"] as? Int == 16)
        let classify = try charrnn(["classify", "--model", model, "Ivanov", "Gomez", "Zimmermann", "--format", "json"])
        #expect(classify.status == 0, "\(classify.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [[String: Any]])
        let best = items.map { (($0["predictions"] as? [[String: Any]])?.first?["category"] as? String) }
        #expect(best == ["Russian", "Spanish", "German"])
        let eval = try charrnn(["eval", "--model", model, "--data", folder, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let evaluated = try Self.json(eval.stdout)["accuracy"] as? Double ?? 0
        #expect(evaluated > 0.8, "eval's accuracy \(evaluated)")
    }

    /// The recipe sets the tutorial's settings; flags given beside it override them.
    @Test func theRecipeAndItsOverrides() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../recipe-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let train = try charrnn(["train-classifier", "--data", folder, "--out", model, "--recipe", "pytorch-tutorial",
                                 "--hidden", "12", "--steps", "300", "--eval-every", "100", "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try Self.json(train.stdout)["steps"] as? Int == 300)
        let info = try Self.json(try charrnn(["info", "--model", model, "--format", "json"]).stdout)
        #expect(info["cell"] as? String == "tutorial" && info["hidden_size"] as? Int == 12 && info["case"] as? String == "preserve")
        let training = try #require(info["training"] as? [String: Any])
        #expect(training["optimizer"] as? String == "sgd" && training["lr"] as? Double == 0.005)
        #expect(training["momentum"] as? Double == 0 && training["clip"] as? Double == 0)
        #expect(training["batch_size"] as? Int == 1 && training["sampling"] as? String == "category-uniform")
    }

    /// A recipe run stopped and resumed makes the same draws and updates as an unbroken one.
    @Test func aResumedRecipeRunEndsWithTheSameWeights() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let straight = folder + "/../straight-\(UUID().uuidString).safetensors"
        let stopped = folder + "/../stopped-\(UUID().uuidString).safetensors"
        defer {
            for path in [straight, stopped] {
                try? FileManager.default.removeItem(atPath: path)
                try? FileManager.default.removeItem(atPath: path + ".resume.safetensors")
            }
        }
        let common = ["train-classifier", "--data", folder, "--recipe", "pytorch-tutorial", "--hidden", "8", "--eval-every", "40"]
        let one = try charrnn(common + ["--out", straight, "--steps", "200"])
        #expect(one.status == 0, "\(one.stderr)")
        let first = try charrnn(common + ["--out", stopped, "--steps", "120"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try charrnn(["train-classifier", "--data", folder, "--out", stopped, "--steps", "200", "--resume"])
        #expect(second.status == 0 && second.stderr.contains("at step 120"), "\(second.stderr)")
        let a = try TrainWorkflowTests.tensors(straight + ".resume.safetensors")
        let b = try TrainWorkflowTests.tensors(stopped + ".resume.safetensors")
        #expect(!a.isEmpty && a.keys.sorted() == b.keys.sorted())
        for (name, values) in a { #expect(values == b[name], "\(name) differs after resuming") }
    }

    @Test func generatorAndLanguageModelGenerate() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let generator = folder + "/../generator-tutorial-\(UUID().uuidString).safetensors"
        let language = folder + "/../lm-tutorial-\(UUID().uuidString).safetensors"
        defer { for path in [generator, language] { try? FileManager.default.removeItem(atPath: path) } }
        let train = try charrnn(["train-generator", "--data", folder, "--out", generator, "--cell", "tutorial", "--hidden", "24",
                                 "--epochs", "60", "--patience", "60", "--lr", "0.01", "--batch-size", "8",
                                 "--val-fraction", "0.2"])
        #expect(train.status == 0, "\(train.stderr)")
        let run = try charrnn(["generate", "--model", generator, "--category", "Spanish", "--samples", "6",
                               "--temperature", "0.5", "--rng-seed", "1", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let names = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])?["samples"])
        #expect(names.count == 6 && names.filter { $0.hasSuffix("ez") }.count >= 4, "\(names)")
        let scored = try charrnn(["eval", "--model", generator, "--data", folder, "--format", "json"])
        #expect(scored.status == 0, "\(scored.stderr)")

        let text = try TemporaryFile(String(repeating: "abcabd abcabd\n", count: 60) + "\n")
        let lm = try charrnn(["train", "--corpus", text.path, "--out", language, "--cell", "tutorial", "--hidden", "16",
                              "--steps", "150", "--seq-length", "16", "--batch-size", "4", "--lr", "0.02"])
        #expect(lm.status == 0, "\(lm.stderr)")
        let sample = try charrnn(["generate", "--model", language, "--seed", "abc", "--length", "20", "--temperature", "0.1",
                                  "--rng-seed", "2"])
        #expect(sample.status == 0 && sample.stdout.hasPrefix("abcab"), "\(sample.stdout) \(sample.stderr)")
        let eval = try charrnn(["eval", "--model", language, "--text", text.path, "--format", "json"])
        let bits = try #require(try Self.json(eval.stdout)["bits_per_token"] as? Double)
        #expect(bits < 1.5, "the tutorial cell learned little of a repeated text: \(bits) bits/letter")
    }

    @Test func unsupportedCombinationsAreOneLineErrors() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../refused-\(UUID().uuidString).safetensors"
        let cases: [([String], String)] = [
            (["train-classifier", "--data", folder, "--cell", "tutorial", "--layers", "2"], "--cell tutorial has one layer"),
            (["train-generator", "--data", folder, "--cell", "tutorial", "--dropout", "0.2"], "drop --dropout"),
            (["train-classifier", "--data", folder, "--recipe", "pytorch-tutorial", "--layers", "3"], "drop --layers 3"),
            (["train-classifier", "--data", folder, "--recipe", "pytorch-tutorial", "--resume"], "drop --recipe"),
            (["train-classifier", "--data", folder, "--recipe", "keras"], "keras"),
        ]
        for (arguments, message) in cases {
            let run = try charrnn(arguments + ["--out", model])
            #expect(run.status != 0 && run.status < 128, "\(arguments): status \(run.status)")
            #expect(run.stderr.contains(message) && run.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count <= 2,
                    "\(arguments): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: model))
        }
    }
}
