// Models with finite weights so large that float32 overflows: generating, scoring and
// classifying give a one-line error or a defined answer, never a crash, a hang or "nan".

import CharRNN
import Testing

@Suite("Overflowing models")
struct OverflowingModelTests {
    /// A one-layer Elman model over "a", "b", "c" (and "\n" for a generator) with every weight
    /// the largest float, so that every score is +∞; with `nan`, `rnn.weight_hh_l0` is its
    /// negative, so that from the second step on the pre-activation is +∞ − ∞ = NaN.
    static func model(_ task: ModelTask, nan: Bool) throws -> ModelFile {
        let vocab = task == .conditionalGenerator ? ["\n", "a", "b", "c"] : ["a", "b", "c"]
        let categories = task == .languageModel ? [] : ["X", "Y"]
        let metadata = try ModelMetadata(task: task, cell: .rnnTanh, hiddenSize: 2, numLayers: 1, vocab: vocab,
                                         endToken: task == .conditionalGenerator ? 0 : nil, categories: categories)
        let shape = ModelFile.shape(of: metadata)
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let big = Float.greatestFiniteMagnitude
        for entry in network.layout.entries {
            let value = nan && entry.name == "rnn.weight_hh_l0" ? -big : big
            entry.write([Float](repeating: value, count: entry.count), to: network.parameters)
        }
        return ModelFile(network: network, metadata: metadata)
    }

    @Test func scoringAnOverflowingModelIsAnError() throws {
        for nan in [false, true] {
            let model = try LanguageModel(try Self.model(.languageModel, nan: nan))
            let error = #expect(throws: CharRNNError.self) { try model.score("abcabc") }
            // Every score +∞: exp(∞ − ∞) in the softmax makes the loss NaN, as do NaN scores.
            #expect(error?.description.hasPrefix("the model's mean loss is NaN: its scores overflow float32") == true,
                    "\(String(describing: error))")
            #expect(error?.description.contains("overflow float32") == true)
            #expect(error?.description.contains("\n") == false)
            #expect(throws: CharRNNError.self) { try model.score(ids: [0, 1, 2]) }
        }
    }

    @Test func generatingFromNaNScoresIsAnErrorAndFromInfiniteOnesAResult() throws {
        var options = GenerationOptions()
        options.length = 10
        options.samples = 2
        var rng = SeededGenerator(seed: 1)
        let poisoned = try LanguageModel(try Self.model(.languageModel, nan: true))
        let error = #expect(throws: CharRNNError.self) { try poisoned.generate(seed: "ab", options: options, using: &rng) }
        #expect(error?.description.hasPrefix("the model's scores for token 1 of the sample are not numbers (NaN)") == true,
                "\(String(describing: error))")

        let infinite = try LanguageModel(try Self.model(.languageModel, nan: false))
        let samples = try infinite.generate(seed: "ab", options: options, using: &rng).samples
        #expect(samples.count == 2 && samples.allSatisfy { $0.count == 12 })

        let generator = try NamesGenerator(try Self.model(.conditionalGenerator, nan: true))
        #expect(throws: CharRNNError.self) { try generator.names(in: "X", count: 2, using: &rng) }
    }

    @Test func classifyingGivesSharedProbabilitiesOrAnError() throws {
        let infinite = try NamesClassifier(try Self.model(.classifier, nan: false))
        let answer = try infinite.classify("abc")
        #expect(answer.predictions.map(\.probability) == [0.5, 0.5], "both categories scored +∞ share")

        let poisoned = try NamesClassifier(try Self.model(.classifier, nan: true))
        let results = poisoned.classify(["a", "abc"])
        #expect(try results[0].get().predictions.count == 2, "one step: still +∞, not NaN")
        guard case .failure(let error) = results[1] else { Issue.record("classified: \(results[1])"); return }
        #expect(error.description.hasPrefix("abc: the model's scores are not numbers (NaN)"), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test func softmaxIsDefinedForEveryInput() {
        #expect(softmaxProbabilities([Float]([0, 0])) == [0.5, 0.5])
        #expect(softmaxProbabilities([Float]([.infinity, 3, .infinity, -.infinity])) == [0.5, 0, 0.5, 0])
        #expect(softmaxProbabilities([Float]([-.infinity, -.infinity])) == [0.5, 0.5])
        #expect(softmaxProbabilities([Float]([-.infinity, 1])) == [0, 1])
        #expect(softmaxProbabilities([Float]([.greatestFiniteMagnitude, -.greatestFiniteMagnitude])) == [1, 0])
        #expect(softmaxProbabilities([Float]([1, .nan, .infinity])).allSatisfy { $0.isNaN })
        #expect(softmaxProbabilities([Float]()) == [])
    }
}
