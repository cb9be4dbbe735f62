// The models shipped in Models/: each loads, stays within 25 MB, generates well-formed text,
// and still scores what Models/README.md says on a held-out slice rebuilt from its corpus.

import Foundation
import Testing
import TestSupport

/// One row of Models/scores.json: a shipped model's score on the first `max_tokens` tokens of
/// the part of `text` that `train --val-fraction held_out` held out (`charrnn eval --held-out`).
struct ShippedScore: Codable, Sendable, CustomStringConvertible {
    var model: String
    var text: String
    var held_out: Double
    var max_tokens: Int
    var bits_per_token: Double

    var description: String { model }

    static func all() throws -> [ShippedScore] {
        try JSONDecoder().decode([ShippedScore].self, from: Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Models/scores.json")))
    }
}

@Suite("Shipped models")
struct ShippedModelTests {
    @Test(arguments: try ShippedScore.all())
    func heldOutScoreIsAsDocumented(score: ShippedScore) throws {
        let model = packageRoot + "/Models/" + score.model
        let size = try #require(try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        #expect(size <= 25_000_000, "\(score.model) is \(size) bytes; shipped models stay within 25 MB")
        let text = score.text.hasPrefix("/") ? score.text : packageRoot + "/" + score.text
        #expect(FileManager.default.fileExists(atPath: text), "\(text) is missing: the held-out slice is rebuilt from it")
        let run = try charrnn(["eval", "--model", model, "--text", text, "--held-out", String(score.held_out),
                               "--max-tokens", String(score.max_tokens), "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Double])
        #expect(result["tokens"] == Double(score.max_tokens - 1))
        let bits = try #require(result["bits_per_token"])
        // Float32 sums in a different order (another kernel set) move the score by far less.
        #expect(abs(bits - score.bits_per_token) < 1e-4, "\(score.model): \(bits) bits/token, documented \(score.bits_per_token)")
    }

    @Test func tangModelWritesQuatrainsAndAcrostics() throws {
        let model = packageRoot + "/Models/tang.safetensors"
        let quatrain = try charrnn(["generate", "--model", model, "--seed", "春", "--form", "5", "--lines", "4",
                                    "--rng-seed", "1"])
        #expect(quatrain.status == 0, "\(quatrain.stderr)")
        let lines = GenerateCommandTests.lines(quatrain.stdout)
        #expect(lines.count == 4 && lines.allSatisfy { GenerateCommandTests.wellFormed($0, 5) }, "\(lines)")
        #expect(lines.first?.first == "春")
        let acrostic = try charrnn(["generate", "--model", model, "--acrostic", "春夏秋冬", "--form", "7", "--lines", "4",
                                    "--rng-seed", "1"])
        let seven = GenerateCommandTests.lines(acrostic.stdout)
        #expect(seven.count == 4 && seven.allSatisfy { GenerateCommandTests.wellFormed($0, 7) }, "\(seven)")
        #expect(seven.map { $0.first! } == ["春", "夏", "秋", "冬"])
        let again = try charrnn(["generate", "--model", model, "--acrostic", "春夏秋冬", "--form", "7", "--lines", "4",
                                 "--rng-seed", "1"])
        #expect(again.stdout == acrostic.stdout)
    }
}
