// Category-uniform draws (the PyTorch tutorial's randomTrainingExample): each category as often
// whatever its size, each example of a category as often, from the seed alone, and a resumed
// stepper draws what an unbroken one draws.

import Foundation
import Testing
import Model
import Tensor
@testable import Training

@Suite("Example sampling")
struct ExampleSamplingTests {
    /// 900 examples of category 0, 100 of category 1 (numbered 900 … 999).
    static let categories: [Int32] = [Int32](repeating: 0, count: 900) + [Int32](repeating: 1, count: 100)

    static func stepper(_ sampling: ExampleSampling, batch: Int = 10) -> ExampleStepper {
        var settings = TrainingSettings()
        settings.batchSize = batch
        settings.sampling = sampling
        settings.seed = 5
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: 3, hiddenSize: 2, outputSize: 2, cell: .tutorial), rng: &rng)
        return ExampleStepper(network: network, examples: categories.count, settings: settings, categories: categories)
    }

    @Test func categoryUniformDrawsEachCategoryAlike() {
        let stepper = Self.stepper(.categoryUniform)
        var drawn: [Int] = []
        for _ in 0..<2_000 { drawn += stepper.nextBatch() }  // 20,000 draws, 20 "epochs"
        #expect(stepper.epoch == 19)
        let small = drawn.filter { $0 >= 900 }.count
        // Binomial(20,000, 1/2): a standard deviation of about 71; ±500 is 7 of them.
        #expect(abs(small - 10_000) < 500, "category 1 drawn \(small) times of 20,000")
        // Within the small category, every example is drawn (about 100 times each).
        var counts = [Int](repeating: 0, count: 100)
        for i in drawn where i >= 900 { counts[i - 900] += 1 }
        #expect(counts.allSatisfy { $0 > 50 && $0 < 160 }, "\(counts.min()!) … \(counts.max()!)")
        // Shuffled epochs draw each example once per epoch: the small category a tenth of the time.
        let shuffled = Self.stepper(.shuffled)
        var plain: [Int] = []
        for _ in 0..<100 { plain += shuffled.nextBatch() }
        #expect(plain.sorted() == Array(0..<1_000))
    }

    @Test func aResumedStepperDrawsTheSame() {
        let unbroken = Self.stepper(.categoryUniform, batch: 7)
        let first = (0..<50).flatMap { _ in unbroken.nextBatch() }
        let saved = unbroken.state
        let rest = (0..<50).flatMap { _ in unbroken.nextBatch() }
        let resumed = Self.stepper(.categoryUniform, batch: 7)
        resumed.state = saved
        #expect((0..<50).flatMap { _ in resumed.nextBatch() } == rest)
        #expect(first != rest)
        #expect(Self.stepper(.categoryUniform, batch: 7).nextBatch() == Array(first.prefix(7)))
    }
}
