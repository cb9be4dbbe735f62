// charrnn train, eval and info, run end to end on a small corpus.

import Foundation
import Testing
import TestSupport

@Suite("charrnn train, eval, info")
struct ModelCommandTests {
    static let text = String(repeating: "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n\n", count: 30)

    @Test func trainThenEvalThenInfo() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let model = folder + "/poem.safetensors"
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", model, "--hidden", "16", "--steps", "60",
                                 "--seq-length", "16", "--batch-size", "4", "--lr", "0.01", "--threads", "2",
                                 "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 60)
        #expect(summary["vocabulary"] as? Int == Set(Self.text).count)
        #expect(summary["out"] as? String == model)
        let trainLoss = try #require(summary["train_nats_per_token"] as? Double)
        #expect(trainLoss < 1.5, "a 20-letter poem repeated 30 times should be learnt: \(trainLoss)")
        #expect(train.stderr.contains("vocabulary") && train.stderr.contains("step 60/60"))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.contains(".tmp") })

        let eval = try charrnn(["eval", "--model", model, "--text", corpus.path, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double])
        #expect(result["tokens"] == Double(Self.text.count - 1))
        let nats = try #require(result["nats_per_token"])
        #expect(abs(result["bits_per_token"]! - nats / log(2)) < 1e-9)
        #expect(abs(result["perplexity"]! - exp(nats)) < 1e-6 * exp(nats))
        #expect(nats < 1.5)

        let info = try charrnn(["info", "--model", model])
        #expect(info.status == 0)
        #expect(info.stdout.contains("language-model") && info.stdout.contains("rnn_tanh"))
        let json = try charrnn(["info", "--model", model, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["hidden_size"] as? Int == 16)
        #expect(object["parameters"] as? Int == 16 * 16 + 2 * 16 + 2 * 16 * Set(Self.text).count + Set(Self.text).count)
    }

    /// LSTM and GRU models train, say what they are, and hold G·H rows per weight.
    @Test(arguments: [("lstm", 4), ("gru", 3)])
    func gatedCellsTrainAndDescribeThemselves(cell: String, gates: Int) throws {
        let corpus = try TemporaryFile(Self.text)
        let model = (corpus.path as NSString).deletingLastPathComponent + "/\(cell).safetensors"
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", model, "--cell", cell, "--layers", "2",
                                 "--dropout", "0.1", "--hidden", "8", "--steps", "40", "--seq-length", "16",
                                 "--batch-size", "4", "--lr", "0.02", "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        let loss = try #require(summary["train_nats_per_token"] as? Double)
        #expect(loss < log(Double(Set(Self.text).count)) - 0.5, "the \(cell) learnt nothing: \(loss)")
        let json = try charrnn(["info", "--model", model, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["cell"] as? String == cell && object["num_layers"] as? Int == 2)
        let v = Set(Self.text).count, h = 8, g = gates * h
        #expect(object["parameters"] as? Int == g * v + g * h + 2 * g + g * h + g * h + 2 * g + v * h + v)
        let eval = try charrnn(["eval", "--model", model, "--text", corpus.path, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let generate = try charrnn(["generate", "--model", model, "--seed", "白日", "--length", "20", "--rng-seed", "3"])
        #expect(generate.status == 0 && generate.stdout.hasPrefix("白日"), "\(generate.stderr)")
    }

    @Test func sameSeedAndThreadsGiveTheSameModelFile() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        var files: [Data] = []
        for name in ["a", "b"] {
            let path = folder + "/\(name).safetensors"
            let run = try charrnn(["train", "--corpus", corpus.path, "--out", path, "--hidden", "8", "--steps", "5",
                                   "--seq-length", "8", "--batch-size", "4", "--seed", "11", "--threads", "2"])
            #expect(run.status == 0, "\(run.stderr)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        // The training record holds timings; the tensors must be bit-identical.
        let data = files.map { file in
            let header = Int(file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) + 8
            return file.suffix(from: header)
        }
        #expect(!data[0].isEmpty && data[0] == data[1])
    }

    @Test func badInputsGiveOneLineErrors() throws {
        let missing = try charrnn(["train", "--corpus", "/no/such.txt", "--out", "/tmp/x.safetensors"])
        #expect(missing.status != 0 && missing.stderr.contains("/no/such.txt"))
        let tiny = try TemporaryFile("abc")
        let small = try charrnn(["train", "--corpus", tiny.path, "--out", "/tmp/x.safetensors"])
        #expect(small.status != 0 && small.stderr.contains("--batch-size"))
        let dropout = try charrnn(["train", "--corpus", tiny.path, "--out", "/tmp/x.safetensors", "--dropout", "1"])
        #expect(dropout.status != 0 && dropout.stderr.contains("--dropout must be in [0, 1)"))
        let notModel = try charrnn(["info", "--model", tiny.path])
        #expect(notModel.status != 0 && notModel.stderr.contains(tiny.path))
        // Errors in the data are one line; misused flags also get ArgumentParser's usage lines.
        for run in [missing, small, notModel] {
            #expect(run.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(run.stderr)")
        }
        #expect(dropout.stderr.split(separator: "\n").first?.contains("--dropout") == true)
    }
}
