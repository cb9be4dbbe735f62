// charrnn train-classifier and classify end to end on a small generated names folder.

import Foundation
import Testing
import TestSupport

@Suite("charrnn train-classifier, classify")
struct ClassifierCommandTests {
    /// A folder of three "languages" told apart by their endings, with the reading rules to
    /// exercise: blank and padded lines, a duplicate, a name under two categories, a stray file.
    static func folder() throws -> (TemporaryFile, String) {
        let stems = ["Ab", "Bor", "Cel", "Dun", "Ek", "Fal", "Gor", "Hel", "Ish", "Jor", "Kel", "Lum", "Mor", "Nal",
                     "Ost", "Pel", "Rud", "Sol", "Tam", "Ul", "Vor", "Wen", "Yar", "Zed"]
        let file = try TemporaryFile([UInt8](), name: "README.md")
        let folder = (file.path as NSString).deletingLastPathComponent
        let endings = ["Russian": "ov", "Spanish": "ez", "German": "mann"]
        for (language, ending) in endings {
            var lines = stems.map { $0 + ending }
            lines += ["", "  " + stems[0] + ending + "  ", stems[1] + ending]  // padding, duplicate
            if language == "German" { lines.append("Borov") }  // also Russian
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(folder)/\(language).txt", atomically: true, encoding: .utf8)
        }
        return (file, folder)
    }

    @Test func trainThenClassify() throws {
        let (keep, folder) = try Self.folder()
        let model = folder + "/../names-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let elsewhere = try TemporaryFile([UInt8](), name: "outputs")  // outputs may not go into --data
        let outputs = (elsewhere.path as NSString).deletingLastPathComponent
        let plot = outputs + "/confusion.svg", split = outputs + "/split.json"
        let train = try charrnn(["train-classifier", "--data", folder, "--out", model, "--hidden", "16", "--epochs", "40",
                                 "--patience", "40", "--lr", "0.01", "--batch-size", "8", "--val-fraction", "0.2",
                                 "--plot", plot, "--save-split", split, "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        #expect(train.stderr.contains("72 names in 3 categories"), "\(train.stderr)")  // 24 × 3, duplicates collapsed; Borov once
        let accuracy = try #require(summary["accuracy"] as? Double)
        #expect(accuracy >= 0.8, "held-out accuracy \(accuracy)")
        #expect((summary["majority_baseline"] as? Double ?? 1) < 0.5)
        #expect((summary["categories"] as? [[String: Any]])?.map { $0["category"] as? String } == ["German", "Russian", "Spanish"])
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("predicted category"))
        // Without --cell, a classifier is a GRU (train-generator's default stays the Elman cell).
        let info = try charrnn(["info", "--model", model, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["cell"] as? String == "gru")
        // The split, for the PyTorch reference: every name once, the held-out part as scored.
        let parts = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: split)))
            as? [String: Any])
        let heldOut = try #require(parts["held_out"] as? [[String: Any]]), trained = try #require(parts["train"] as? [[String: Any]])
        #expect(heldOut.count == summary["held_out"] as? Int && heldOut.count + trained.count == 72)
        #expect(trained.contains { ($0["categories"] as? [String]) == ["German", "Russian"] && $0["name"] as? String == "borov" }
            || heldOut.contains { ($0["categories"] as? [String]) == ["German", "Russian"] })
        _ = keep
        // eval --data rebuilds the same held-out split from --seed and scores it the same.
        let eval = try charrnn(["eval", "--model", model, "--data", folder, "--held-out", "0.2", "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let scored = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double])
        #expect(scored["names"] == Double(heldOut.count))
        #expect(scored["accuracy"] == accuracy && scored["macro_f1"] == summary["macro_f1"] as? Double)

        let classify = try charrnn(["classify", "--model", model, "Ivanov", "Gomez", "Zimmermann", "--top", "2",
                                    "--format", "json"])
        #expect(classify.status == 0, "\(classify.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [[String: Any]])
        #expect(items.map { $0["input"] as? String } == ["Ivanov", "Gomez", "Zimmermann"])
        let best = items.map { (($0["predictions"] as? [[String: Any]])?.first?["category"] as? String) }
        #expect(best == ["Russian", "Spanish", "German"])
        for item in items {
            let p = (item["predictions"] as? [[String: Any]] ?? []).compactMap { $0["probability"] as? Double }
            #expect(p.count == 2 && p[0] >= p[1] && p.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        // Names on standard input; a letter the model never saw still gets an answer, with a note.
        let stdin = try charrnn(["classify", "--model", model], input: Array("Petrov\nQuñez\n".utf8))
        #expect(stdin.status == 0 && stdin.stdout.split(separator: "\n").count == 2)
        #expect(stdin.stderr.contains("never saw") && stdin.stderr.contains("ñ"))
        // An empty name gets its error line; the others are still answered; the status says so.
        let empty = try charrnn(["classify", "--model", model, "Ivanov", " ", "Gomez"])
        #expect(empty.status == 1, "\(empty.stderr)")
        #expect(empty.stdout.split(separator: "\n").map { $0.split(separator: " ").first } == ["Ivanov", "Gomez"])
        #expect(empty.stderr.contains("an empty name") && empty.stderr.split(separator: "\n").count == 1)
    }

    /// Spellings that differ only in diacritics and case are one name in the split: held out or
    /// trained on together, whatever the seed.
    @Test func spellingsOfANameAreNeverSplit() throws {
        let (keep, folder) = try Self.folder()
        _ = keep
        let pairs = [("Nguyễn", "Nguyen"), ("Trần", "TRAN"), ("Phạm", "Pham"), ("Lê", "Le"), ("Võ", "Vo")]
        try (pairs.map { "\($0.0)\n\($0.1)\n" }.joined()).write(toFile: folder + "/Vietnamese.txt", atomically: true,
                                                                   encoding: .utf8)
        let model = folder + "/../names-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let elsewhere = try TemporaryFile([UInt8](), name: "outputs")  // outputs may not go into --data
        let outputs = (elsewhere.path as NSString).deletingLastPathComponent
        var heldPairs = 0
        for seed in 0..<3 {
            let split = outputs + "/split-\(seed).json"
            let train = try charrnn(["train-classifier", "--data", folder, "--out", model, "--hidden", "4", "--epochs", "1",
                                     "--val-fraction", "0.5", "--rng-seed", "\(seed)", "--save-split", split])
            #expect(train.status == 0, "\(train.stderr)")
            #expect(train.stderr.contains("82 names in 4 categories"), "\(train.stderr)")  // 72 + 5 pairs
            let parts = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: split)))
                as? [String: Any])
            let names = { (part: String) in Set((parts[part] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) }
            let (held, trained) = (names("held_out"), names("train"))
            for (accented, plain) in pairs {
                let (a, p) = (accented.lowercased(), plain.lowercased())
                #expect(trained.contains(a) && trained.contains(p) || held.contains(a) && held.contains(p),
                        "seed \(seed): \(accented) and \(plain) split")
                if held.contains(a) { heldPairs += 1 }
            }
        }
        #expect(heldPairs > 0)  // 3 of the 5 names held out at each seed
    }

    @Test func badFoldersAndModels() throws {
        let missing = try charrnn(["train-classifier", "--data", "/no/such/folder", "--out", "/tmp/x.safetensors"])
        #expect(missing.status != 0 && missing.stderr.contains("not a folder"))
        let empty = try TemporaryFile([UInt8](), name: "notes.md")
        let none = try charrnn(["train-classifier", "--data", (empty.path as NSString).deletingLastPathComponent,
                                "--out", "/tmp/x.safetensors"])
        #expect(none.status != 0 && none.stderr.contains("no .txt files"))
        let single = try TemporaryFile(Array("Schmidt\n".utf8), name: "German.txt")
        try "Rossi\n".write(toFile: (single.path as NSString).deletingLastPathComponent + "/Italian.txt", atomically: true,
                             encoding: .utf8)
        let nothingHeld = try charrnn(["train-classifier", "--data", (single.path as NSString).deletingLastPathComponent,
                                       "--out", (single.path as NSString).deletingLastPathComponent + "/../m-\(UUID()).safetensors"])
        #expect(nothingHeld.status != 0 && nothingHeld.stderr.contains("no name is held out"), "\(nothingHeld.stderr)")
        let fixture = packageRoot + "/Tests/ModelTests/Fixtures/rnn_l1.model.safetensors"
        let wrongModel = try charrnn(["classify", "--model", fixture, "Smith"])
        #expect(wrongModel.status != 0 && wrongModel.stderr.contains("language-model"))
    }

    /// A names run stopped after two epochs and resumed to four ends with the weights, optimizer
    /// state and order of one that ran four epochs at once; the generator's too.
    @Test(arguments: ["train-classifier", "train-generator"])
    func resumedNamesRunEndsWithTheSameWeights(command: String) throws {
        let (keep, folder) = try Self.folder()
        let common = [command, "--data", folder, "--hidden", "8", "--batch-size", "8", "--lr", "0.01", "--threads", "2"]
        let elsewhere = try TemporaryFile([UInt8](), name: "outputs")  // outputs may not go into --data
        let outputs = (elsewhere.path as NSString).deletingLastPathComponent
        let straight = outputs + "/straight.safetensors", stopped = outputs + "/stopped.safetensors"
        #expect(try charrnn(common + ["--out", straight, "--epochs", "4"]).status == 0)
        let first = try charrnn(common + ["--out", stopped, "--epochs", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try charrnn([command, "--data", folder, "--out", stopped, "--epochs", "4", "--resume"])
        #expect(second.status == 0 && second.stderr.contains("resuming"), "\(second.stderr)")
        let a = try TrainWorkflowTests.tensors(straight + ".resume.safetensors")
        let b = try TrainWorkflowTests.tensors(stopped + ".resume.safetensors")
        #expect(a.keys.sorted() == b.keys.sorted() && a.keys.contains("optimizer.first"))
        for (name, values) in a { #expect(values == b[name], "\(name) differs after resuming") }
        #expect(try TrainWorkflowTests.tensors(straight) == TrainWorkflowTests.tensors(stopped), "the same best model")
        // What the run was trained with cannot change.
        let changed = try charrnn([command, "--data", folder, "--out", stopped, "--epochs", "5", "--resume", "--hidden", "9"])
        #expect(changed.status != 0 && changed.stderr.contains("--hidden 8"), "\(changed.stderr)")
        _ = keep
    }
}
