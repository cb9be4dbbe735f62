// The name models with each cell: train-classifier and train-generator take --cell, --layers and
// --dropout, and their models classify and generate alike.

import Foundation
import Testing
import TestSupport

@Suite("Name models with Elman, LSTM and GRU cells")
struct NameModelCellTests {
    @Test(arguments: ["rnn", "lstm", "gru"])
    func classifierLearnsTheEndings(cell: String) throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../classifier-\(cell)-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let train = try charrnn(["train-classifier", "--data", folder, "--out", model, "--cell", cell, "--layers", "2",
                                 "--dropout", "0.1", "--hidden", "16", "--epochs", "40", "--patience", "40", "--lr", "0.01",
                                 "--batch-size", "8", "--val-fraction", "0.2", "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(summary["accuracy"] as? Double)
        #expect(accuracy >= 0.8, "\(cell): held-out accuracy \(accuracy)")
        let info = try charrnn(["info", "--model", model, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["cell"] as? String == (cell == "rnn" ? "rnn_tanh" : cell) && object["num_layers"] as? Int == 2)
        #expect((object["training"] as? [String: Any])?["dropout"] as? Double == 0.1)
        let classify = try charrnn(["classify", "--model", model, "Ivanov", "Gomez", "Zimmermann", "--format", "json"])
        #expect(classify.status == 0, "\(classify.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [[String: Any]])
        let best = items.map { (($0["predictions"] as? [[String: Any]])?.first?["category"] as? String) }
        #expect(best == ["Russian", "Spanish", "German"])
    }

    @Test func generatorWithAnLSTMWritesNamesOfTheCategory() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../generator-lstm-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let train = try charrnn(["train-generator", "--data", folder, "--out", model, "--cell", "lstm", "--hidden", "24",
                                 "--epochs", "60", "--patience", "60", "--lr", "0.01", "--batch-size", "8",
                                 "--val-fraction", "0.2"])
        #expect(train.status == 0, "\(train.stderr)")
        let run = try charrnn(["generate", "--model", model, "--category", "Spanish", "--samples", "6",
                               "--temperature", "0.5", "--rng-seed", "1", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let names = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])?["samples"])
        #expect(names.count == 6 && names.filter { $0.hasSuffix("ez") }.count >= 4, "\(names)")
    }

    @Test func dropoutWithOneLayerIsANoteAndOutOfRangeAnError() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../classifier-note-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let one = try charrnn(["train-classifier", "--data", folder, "--out", model, "--dropout", "0.3", "--hidden", "8",
                               "--epochs", "1"])
        #expect(one.status == 0 && one.stderr.contains("between stacked layers only"), "\(one.stderr)")
        let bad = try charrnn(["train-generator", "--data", folder, "--out", model, "--dropout", "1.5"])
        #expect(bad.status != 0 && bad.stderr.contains("--dropout must be in [0, 1)"), "\(bad.stderr)")
    }
}
