// A language model with an adaptive-softmax decoder through the library, as `serve` and
// `generate` use it: trained by TextTrainer, loaded as a LanguageModel, writing verse forms
// (regulated too) and scoring a text as the sum of its full distribution's log-probabilities.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("CharRNN library, adaptive decoder")
struct AdaptiveLanguageModelTests {
    static let text = String(repeating: "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n\n", count: 10)

    @Test func trainLoadGenerateScore() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/adaptive.safetensors"
        var configuration = TrainingConfiguration()
        configuration.hiddenSize = 16
        configuration.batchSize = 4
        configuration.sequenceLength = 8
        configuration.threads = 1
        configuration.steps = 40
        configuration.learningRate = 0.01
        configuration.decoder = AdaptiveSoftmax(cutoffs: [6, 16], divValue: 2)
        let summary = try TextTrainer(corpus: corpus.path, configuration: configuration).run(out: out)
        #expect(summary.steps == 40)

        let model = try LanguageModel(contentsOf: out)
        #expect(model.metadata.decoder == AdaptiveSoftmax(cutoffs: [6, 16], divValue: 2))
        var options = GenerationOptions()
        options.form = 5
        options.lines = 4
        options.topK = 10
        var rng = SeededGenerator(seed: 2)
        let poem = try model.generate(seed: "春", options: options, using: &rng).samples[0]
        let lines = poem.split(separator: "\n")
        #expect(lines.count == 4 && lines.allSatisfy { $0.count == 12 }, "\(poem)")
        options.regulated = true
        options.topK = nil
        let regulated = try model.generate(options: options, using: &rng)
        #expect(regulated.samples[0].split(separator: "\n").count == 4, "\(regulated.samples)")

        // The score (the training path: head and one cluster per letter) is the mean of
        // −log p over the full distribution that generation draws from, one step at a time.
        let sample = String(Self.text.prefix(60))
        let score = try model.score(sample)
        let ids = try model.codec.encode(sample, what: "the sample").ids
        let network = model.network
        let workspace = Workspace(shape: network.shape, batch: 1, steps: 1)
        workspace.prepareForInference(network)
        let state = HiddenState(shape: network.shape, batch: 1)
        var total = 0.0
        for i in 0..<(ids.count - 1) {
            workspace.step(network, tokens: [ids[i]], state: state)
            let logP = workspace.logits(ofStream: 0)
            #expect(abs(logP.reduce(0.0) { $0 + exp(Double($1)) } - 1) < 1e-4, "a normalised distribution")
            total -= Double(logP[Int(ids[i + 1])])
        }
        #expect(abs(total / Double(ids.count - 1) - score.natsPerToken) < 1e-4 * score.natsPerToken,
                "\(total / Double(ids.count - 1)) vs \(score.natsPerToken)")
    }

    @Test func cutoffsThatDoNotFitAreRefused() throws {
        let corpus = try TemporaryFile(Self.text)
        var configuration = TrainingConfiguration()
        configuration.hiddenSize = 16
        configuration.steps = 1
        configuration.decoder = AdaptiveSoftmax()  // 2000, 6000: far beyond 39 letters
        #expect {
            _ = try TextTrainer(corpus: corpus.path, configuration: configuration)
        } throws: { "\($0)".contains("not below the vocabulary size 39") }
        var names = TrainingConfiguration.namesGenerator
        names.decoder = AdaptiveSoftmax(cutoffs: [3])
        let folder = (corpus.path as NSString).deletingLastPathComponent
        #expect {
            _ = try NamesTrainer(folder: folder, task: .conditionalGenerator, configuration: names)
        } throws: { "\($0)".contains("adaptive decoder is for language models") }
    }
}
