// The library as a Swift program uses it: models from files, generation with an injected
// generator, classification with a bad name among good ones, training stopped by a token and
// resumed, events in order.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("CharRNN library")
struct LibraryTests {
    static let tang = packageRoot + "/Models/tang.safetensors"
    static let classifier = packageRoot + "/Models/names-classifier.safetensors"

    @Test func generationRepeatsWithASeededGeneratorAndStreamsWhatItReturns() throws {
        let model = try LanguageModel(contentsOf: Self.tang)
        var options = GenerationOptions()
        options.form = 5
        options.lines = 2
        var rng = SeededGenerator(seed: 7)
        var streamed = ""
        let poem = try model.generate(seed: "春", options: options, using: &rng) { sample, text in
            #expect(sample == 0)
            streamed += text
        }
        #expect(poem.samples.count == 1 && poem.samples[0] == "春" + streamed)
        let lines = poem.samples[0].split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.count == 12 }, "\(poem.samples[0])")
        var again = SeededGenerator(seed: 7)
        #expect(try model.generate(seed: "春", options: options, using: &again).samples == poem.samples)
    }

    @Test func aSampleCanEndAtTheEndOfItsParagraph() throws {
        let model = try LanguageModel(contentsOf: Self.tang)
        var options = GenerationOptions()
        options.stopAtParagraphEnd = true
        options.length = 400
        options.samples = 4
        var rng = SeededGenerator(seed: 3)
        for sample in try model.generate(options: options, using: &rng).samples {
            #expect(sample.hasSuffix("\n\n") || sample.count == 400, "\(sample)")
            #expect(!sample.dropLast(2).contains("\n\n"), "stops at the first blank line: \(sample)")
        }
    }

    @Test func badArgumentsAreErrorsThatNameTheOption() throws {
        let model = try LanguageModel(contentsOf: Self.tang)
        var options = GenerationOptions()
        options.topP = 2
        var rng = SeededGenerator(seed: 0)
        #expect(throws: CharRNNError(option: "top-p", "must be in (0, 1]")) { try model.generate(options: options, using: &rng) }
        #expect(throws: CharRNNError.self) { try NamesClassifier(contentsOf: Self.tang) }
        #expect(throws: CharRNNError.self) { try LanguageModel(contentsOf: Self.classifier) }
    }

    @Test func classifyAnswersEveryReadableNameAndGivesTheOthersTheirError() throws {
        let classifier = try NamesClassifier(contentsOf: Self.classifier)
        let results = classifier.classify(["Schmidt", "  ", "王伟"])
        #expect(results.count == 3)
        let schmidt = try results[0].get(), wang = try results[2].get()
        #expect(schmidt.input == "Schmidt" && schmidt.predictions.first?.category == "German")
        #expect(wang.predictions.first?.category == "Chinese")
        #expect(schmidt.predictions.count == classifier.categories.count)
        #expect(abs(schmidt.predictions.map(\.probability).reduce(0, +) - 1) < 1e-6)
        guard case .failure(let error) = results[1] else { Issue.record("an empty name was answered"); return }
        #expect(error.description.contains("empty name"))
        // One name alone gives what it gives in a batch.
        #expect(try classifier.classify("Schmidt").predictions == schmidt.predictions)
    }

    @Test func trainingStopsOnTheTokenAndResumesWhereItStopped() throws {
        let text = String(repeating: "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n", count: 20)
        let corpus = try TemporaryFile(text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/lib.safetensors"
        var configuration = TrainingConfiguration()
        configuration.hiddenSize = 8
        configuration.batchSize = 4
        configuration.sequenceLength = 8
        configuration.threads = 1
        configuration.validateEvery = 3
        configuration.steps = 12
        let trainer = try TextTrainer(corpus: corpus.path, configuration: configuration)
        let cancel = CancellationToken()
        var steps: [Int] = [], validated: [Int] = []
        let summary = try trainer.run(out: out, cancel: cancel) { event in
            switch event {
            case .step(let step, _, _):
                steps.append(step)
                if step == 5 { cancel.cancel() }
            case .validated(let step, _, _): validated.append(step)
            default: break
            }
        }
        #expect(summary.outcome == .cancelled && summary.steps == 5)
        #expect(steps == [1, 2, 3, 4, 5] && validated == [3], "every 3 steps; a stop does not wait for one")
        #expect(FileManager.default.fileExists(atPath: out) && FileManager.default.fileExists(atPath: out + ".resume.safetensors"))

        let resumePath = resumeFilePath(out: out)
        var changed = try TextTrainer.storedConfiguration(resumePath)
        changed.hiddenSize = 9
        #expect(throws: CharRNNError.self) { try TextTrainer(resuming: resumePath, corpus: corpus.path, configuration: changed) }
        let resumed = try TextTrainer(resuming: resumePath, corpus: corpus.path)
        #expect(resumed.resumedFrom == 5)
        let rest = try resumed.run(out: out)
        #expect(rest.outcome == .finished && rest.steps == 12)
        #expect(rest.bestStep != nil && resumed.loop.state.history.map(\.step) == [3, 5, 6, 9, 12])
    }
}
