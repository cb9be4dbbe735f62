// The tool is a thin shell over the library: the same arguments give the same text.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("The CLI and the library agree")
struct LibraryAgreementTests {
    @Test func generateWritesWhatLanguageModelGenerates() throws {
        let path = packageRoot + "/Models/tang.safetensors"
        let run = try charrnn(["generate", "--model", path, "--seed", "春", "--acrostic", "春夏秋", "--form", "7",
                               "--samples", "2", "--rng-seed", "11", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let cli = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String]])?["samples"])
        var options = GenerationOptions()
        options.acrostic = "春夏秋"
        options.form = 7
        options.samples = 2
        var rng = SeededGenerator(seed: 11)
        #expect(try LanguageModel(contentsOf: path).generate(seed: "春", options: options, using: &rng).samples == cli)
    }

    @Test func classifyPrintsWhatNamesClassifierAnswers() throws {
        let path = packageRoot + "/Models/names-classifier.safetensors"
        let run = try charrnn(["classify", "--model", path, "Rossi", "Nguyen", "--top", "2", "--format", "json"])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        let answers = try NamesClassifier(contentsOf: path).classify(["Rossi", "Nguyen"]).map { try $0.get() }
        for (item, answer) in zip(items, answers) {
            let predictions = try #require(item["predictions"] as? [[String: Any]])
            #expect(predictions.map { $0["category"] as? String } == answer.predictions.prefix(2).map(\.category))
            // The same numbers, up to the last digit JSON keeps.
            for (printed, computed) in zip(predictions.compactMap { $0["probability"] as? Double }, answer.predictions) {
                #expect(abs(printed - computed.probability) <= 1e-15)
            }
        }
    }
}
