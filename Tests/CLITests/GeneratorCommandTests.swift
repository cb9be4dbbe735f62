// charrnn train-generator, eval --data and generate --category end to end.

import Foundation
import Testing
import TestSupport

@Suite("charrnn train-generator")
struct GeneratorCommandTests {
    @Test func namesEndByThemselvesInTheirCategory() throws {
        let (keep, folder) = try ClassifierCommandTests.folder()
        _ = keep
        let model = folder + "/../generator-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: model) }
        let train = try charrnn(["train-generator", "--data", folder, "--out", model, "--hidden", "24", "--epochs", "60",
                                 "--patience", "60", "--lr", "0.01", "--batch-size", "8", "--val-fraction", "0.2",
                                 "--format", "json"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        let heldOut = try #require(summary["held_out_bits_per_letter"] as? Double)
        let info = try charrnn(["info", "--model", model, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["cell"] as? String == "rnn_tanh")

        // eval --data with the same split scores the same held-out names.
        let eval = try charrnn(["eval", "--model", model, "--data", folder, "--held-out", "0.2", "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Double])
        #expect(abs((result["bits_per_token"] ?? 0) - heldOut) < 1e-9)
        let all = try charrnn(["eval", "--model", model, "--data", folder, "--format", "json"])
        let everything = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Double])
        #expect((everything["tokens"] ?? 0) > (result["tokens"] ?? 0))

        // Names in a category end by themselves and carry its ending.
        for (category, ending) in [("Russian", "ov"), ("Spanish", "ez"), ("German", "mann")] {
            let run = try charrnn(["generate", "--model", model, "--category", category, "--samples", "6",
                                   "--temperature", "0.5", "--rng-seed", "1", "--format", "json"])
            #expect(run.status == 0, "\(run.stderr)")
            let names = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])?["samples"])
            #expect(names.count == 6 && names.allSatisfy { !$0.isEmpty && !$0.contains("\n") && $0.count < 20 })
            #expect(names.filter { $0.hasSuffix(ending) }.count >= 4, "\(category): \(names)")
        }
        let seeded = try charrnn(["generate", "--model", model, "--category", "Russian", "--seed", "Bo", "--samples", "3",
                                  "--rng-seed", "2", "--format", "json"])
        let names = try #require((try JSONSerialization.jsonObject(with: Data(seeded.stdout.utf8)) as? [String: [String]])?["samples"])
        #expect(names.allSatisfy { $0.hasPrefix("Bo") })

        let unknown = try charrnn(["generate", "--model", model, "--category", "Klingon"])
        #expect(unknown.status != 0 && unknown.stderr.contains("German, Russian, Spanish"))
        let none = try charrnn(["generate", "--model", model])
        #expect(none.status != 0 && none.stderr.contains("--category"))
    }
}
