// The models shipped in Models/: each loads, stays within 25 MB, generates well-formed text,
// and still scores what Models/README.md says on a held-out slice rebuilt from its corpus.

import Foundation
import Testing
import TestSupport

/// One row of Models/scores.json: a shipped model's score on what training held out. A language
/// model has a `text` and is scored on the first `max_tokens` tokens of the part of it that
/// `train --val-fraction held_out` held out (`charrnn eval --held-out`); a name model has a
/// `data` folder and is scored on the names that `--val-fraction held_out` (seed 0) held out
/// (`charrnn eval --data --held-out`): bits per letter for a generator, accuracy and macro-F1
/// for a classifier.
struct ShippedScore: Codable, Sendable, CustomStringConvertible {
    var model: String
    var text: String?
    var data: String?
    var held_out: Double
    var max_tokens: Int?
    var bits_per_token: Double?
    var accuracy: Double?
    var macro_f1: Double?

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
        let source = try #require(score.text ?? score.data, "\(score.model): a score needs a text or a data folder")
        let path = source.hasPrefix("/") ? source : packageRoot + "/" + source
        #expect(FileManager.default.fileExists(atPath: path), "\(path) is missing: the held-out part is rebuilt from it")
        var arguments = ["eval", "--model", model, "--held-out", String(score.held_out), "--format", "json"]
        arguments += score.text != nil ? ["--text", path] : ["--data", path]
        if let maxTokens = score.max_tokens { arguments += ["--max-tokens", String(maxTokens)] }
        let run = try charrnn(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Double])
        if let maxTokens = score.max_tokens { #expect(result["tokens"] == Double(maxTokens - 1)) }
        // Float32 sums in a different order (another kernel set) move a score by far less.
        for (key, documented) in [("bits_per_token", score.bits_per_token), ("accuracy", score.accuracy),
                                  ("macro_f1", score.macro_f1)] {
            guard let documented else { continue }
            let measured = try #require(result[key], "\(score.model): eval gave no \(key)")
            #expect(abs(measured - documented) < 1e-4, "\(score.model): \(key) \(measured), documented \(documented)")
        }
    }

    @Test func namesModelsAnswerInTheRightLanguage() throws {
        let classify = try charrnn(["classify", "--model", packageRoot + "/Models/names-classifier.safetensors",
                                    "Schmidt", "王伟", "Ivanov", "Nguyen", "--format", "json"])
        #expect(classify.status == 0, "\(classify.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [[String: Any]])
        let top = items.map { (($0["predictions"] as? [[String: Any]]) ?? []).compactMap { $0["category"] as? String } }
        #expect(top.prefix(3).map(\.first) == ["German", "Chinese", "Russian"])
        // Nguyen is listed under English, French and Vietnamese in Corpora/names: the first answer is
        // one of them, and Vietnamese is among the three.
        #expect(["English", "French", "Vietnamese"].contains(top[3].first ?? ""), "Nguyen: \(top[3])")
        #expect(top[3].contains("Vietnamese"), "Nguyen: \(top[3])")
        let generator = packageRoot + "/Models/names-generator.safetensors"
        let russian = try charrnn(["generate", "--model", generator, "--category", "Russian", "--seed", "Ro",
                                   "--samples", "5", "--rng-seed", "1"])
        #expect(russian.status == 0, "\(russian.stderr)")
        let names = russian.stdout.split(separator: "\n")
        #expect(russian.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 6, "one name per line")
        #expect(names.count == 5 && names.allSatisfy { $0.hasPrefix("Ro") && $0.count <= 20 }, "\(names)")
        let korean = try charrnn(["generate", "--model", generator, "--category", "Korean", "--samples", "5",
                                  "--rng-seed", "1"])
        // Korean names are in Hangul or, as Corpora/names has them too, in Latin letters; never
        // both in one name.
        let koreanNames = korean.stdout.split(separator: "\n")
        #expect(koreanNames.count == 5)
        for name in koreanNames {
            let letters = name.unicodeScalars.filter { $0.properties.isAlphabetic }
            let hangul = letters.allSatisfy { (0xAC00...0xD7A3).contains($0.value) }
            let latin = letters.allSatisfy { $0.isASCII }
            #expect(!letters.isEmpty && (hangul || latin), "Korean names are in Hangul or Latin letters: \(korean.stdout)")
        }
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
