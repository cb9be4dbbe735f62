// Poisoned model files through the command line: NaN weights, repeated keys, a model given as a
// resume file, and finite weights so large that the scores overflow. Each ends in one line on
// standard error and exit status 1, never a crash or "nan".

import CharRNN
import Foundation
import SafeTensors
import Testing
import TestSupport

@Suite("Poisoned models")
struct PoisonedModelTests {
    /// The model of `OverflowingModelTests`: every weight the largest float (every score +∞),
    /// and with `nan`, `rnn.weight_hh_l0` its negative (NaN scores from the second step).
    static func model(_ task: ModelTask, nan: Bool) throws -> ModelFile {
        let vocab = task == .conditionalGenerator ? ["\n", "a", "b", "c"] : ["a", "b", "c"]
        let categories = task == .languageModel ? [] : ["X", "Y"]
        let metadata = try ModelMetadata(task: task, cell: .rnnTanh, hiddenSize: 2, numLayers: 1, vocab: vocab,
                                         endToken: task == .conditionalGenerator ? 0 : nil, categories: categories)
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: ModelFile.shape(of: metadata), rng: &rng)
        for entry in network.layout.entries {
            let value = nan && entry.name == "rnn.weight_hh_l0" ? -Float.greatestFiniteMagnitude : .greatestFiniteMagnitude
            entry.write([Float](repeating: value, count: entry.count), to: network.parameters)
        }
        return ModelFile(network: network, metadata: metadata)
    }

    /// A folder with the text file `text.txt` and the names folder `names/` (X.txt, Y.txt).
    static func folder() throws -> (TemporaryFile, String) {
        let keep = try TemporaryFile(Array("abcabcab".utf8), name: "text.txt")
        let folder = (keep.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder + "/names", withIntermediateDirectories: false)
        try "abc\nab\n".write(toFile: folder + "/names/X.txt", atomically: true, encoding: .utf8)
        try "bca\ncc\n".write(toFile: folder + "/names/Y.txt", atomically: true, encoding: .utf8)
        return (keep, folder)
    }

    static func expectOneLineError(_ run: Run, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(fragment), "\(run.stderr)", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("note:") }
        #expect(lines.count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stdout.contains("nan"), "\(run.stdout)", sourceLocation: sourceLocation)
    }

    @Test func overflowingScoresEndInOneLine() throws {
        let (keep, folder) = try Self.folder()
        _ = keep
        for (task, nan) in [(ModelTask.languageModel, false), (.languageModel, true), (.classifier, true),
                            (.conditionalGenerator, true), (.conditionalGenerator, false)] {
            let path = folder + "/\(task.rawValue)-\(nan).safetensors"
            try Self.model(task, nan: nan).write(to: path)
            switch task {
            case .languageModel:
                Self.expectOneLineError(try charrnn(["eval", "--model", path, "--text", folder + "/text.txt"]),
                                        "the model's mean loss is NaN")
                let generate = try charrnn(["generate", "--model", path, "--seed", "ab", "--length", "5", "--rng-seed", "1"])
                if nan {
                    Self.expectOneLineError(generate, "the model's scores for token 1 of the sample are not numbers (NaN)")
                } else {
                    #expect(generate.status == 0, "\(generate.stderr)")  // every score +∞: the tokens share the draw
                    #expect(generate.stdout.hasPrefix("ab") && generate.stdout.count >= 7, "\(generate.stdout)")
                }
            case .classifier:
                Self.expectOneLineError(try charrnn(["classify", "--model", path, "abc"]),
                                        "abc: the model's scores are not numbers (NaN)")
                Self.expectOneLineError(try charrnn(["eval", "--model", path, "--data", folder + "/names"]),
                                        "the model's scores are not numbers (NaN)")
            case .conditionalGenerator:
                Self.expectOneLineError(try charrnn(["eval", "--model", path, "--data", folder + "/names"]),
                                        "the model's mean loss is NaN")
                let generate = try charrnn(["generate", "--model", path, "--category", "X", "--rng-seed", "1"])
                if nan { Self.expectOneLineError(generate, "are not numbers (NaN)") } else { #expect(generate.status == 0) }
            case .forecaster:
                continue  // not in the list above: ForecasterCLITests poisons a forecaster
            }
        }
    }

    @Test func poisonedFilesAreRefusedByEveryCommand() throws {
        let (keep, folder) = try Self.folder()
        _ = keep
        var file = try Self.model(.languageModel, nan: false).safetensors()
        var weights = try file.floats("decoder.weight")
        weights[4] = .nan
        file.add("decoder.weight", shape: [3, 2], floats: weights)
        let nanPath = folder + "/nan.safetensors"
        try file.write(to: nanPath)
        for arguments in [["info", "--model", nanPath], ["eval", "--model", nanPath, "--text", folder + "/text.txt"],
                          ["generate", "--model", nanPath, "--length", "3"]] {
            Self.expectOneLineError(try charrnn(arguments), "tensor \"decoder.weight\" holds nan at [2, 0]")
        }

        var repeated = try Self.model(.languageModel, nan: false).safetensors()
        repeated.metadata["charrnn"] = repeated.metadata["charrnn"]!.replacingOccurrences(
            of: #""hidden_size":2"#, with: #""hidden_size":512,"hidden_size":2"#)
        let repeatedPath = folder + "/repeated.safetensors"
        try repeated.write(to: repeatedPath)
        Self.expectOneLineError(try charrnn(["info", "--model", repeatedPath]), "metadata has \"hidden_size\" twice")

        var badVocab = try Self.model(.languageModel, nan: false).safetensors()
        badVocab.metadata["charrnn"] = badVocab.metadata["charrnn"]!.replacingOccurrences(of: #""c"]"#, with: #""cd"]"#)
        let badVocabPath = folder + "/vocab.safetensors"
        try badVocab.write(to: badVocabPath)
        Self.expectOneLineError(try charrnn(["info", "--model", badVocabPath]),
                                "\"vocab\" entry 2, \"cd\" (U+0063 U+0064), is 2 graphemes")
    }

    @Test func aModelFileIsNotAResumeFile() throws {
        let (keep, folder) = try Self.folder()
        _ = keep
        let out = folder + "/m.safetensors"
        try Self.model(.languageModel, nan: false).write(to: out)
        try FileManager.default.copyItem(atPath: out, toPath: resumeFilePath(out: out))
        let run = try charrnn(["train", "--corpus", folder + "/text.txt", "--out", out, "--resume", "--steps", "1"])
        Self.expectOneLineError(run, "no \"charrnn_resume\" entry in the safetensors metadata, so this is not a resume file")
    }
}
