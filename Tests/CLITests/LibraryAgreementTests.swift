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

    /// `eval --format json` prints the library's score document for the same held-out part.
    @Test func evalPrintsWhatLanguageModelScores() throws {
        let model = packageRoot + "/Models/kjv.safetensors", text = packageRoot + "/Corpora/kjv.txt"
        let run = try charrnn(["eval", "--model", model, "--text", text, "--held-out", "0.05", "--max-tokens", "300",
                               "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let language = try LanguageModel(contentsOf: model)
        let corpus = try TextCorpus(path: text, model: language.metadata)
        #expect(run.stdout == jsonDocument(ScoreDocument(try language.score(corpus, heldOut: 0.05, maxTokens: 300))) + "\n")
    }

    /// `verse --format json` prints the library's verse document.
    @Test func versePrintsTheLibrarysDocument() throws {
        let poems = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n白日依山尽"
        let run = try charrnn(["verse", "--format", "json"], input: Array(poems.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        var summary = VerseSummary()
        let reports = splitPoems(poems).enumerated().map { i, poem in
            let result = Result { () throws(VerseError) in try checkVerse(poem) }
            summary.add(try? result.get())
            return VersePoemReport(poem: i + 1, result)
        }
        #expect(reports.count == 2)
        #expect(run.stdout == jsonDocument(VerseDocument(poems: reports, summary: summary)) + "\n")
    }
}
