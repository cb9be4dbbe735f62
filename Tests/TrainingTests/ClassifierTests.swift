// The sequence classifier: split, balance, learning, metrics.

import Foundation
import Testing
import Model
import Tensor
import Classification
import Training

@Suite("Classifier")
struct ClassifierTests {
    /// Toy names: the category is the first letter's parity; lengths 1 to 6; category 2 is rare.
    static func toy(count: Int, seed: UInt64) -> LabeledSequences {
        var rng = SeededGenerator(seed: seed)
        var sequences: [[Int32]] = [], labels: [[Int32]] = []
        for i in 0..<count {
            let category = Int32(i % 10 == 0 ? 2 : i % 2)
            let first: Int32 = category == 2 ? 6 : Int32(rng.next() % 3) * 2 + category
            let length = 1 + Int(rng.next() % 6)
            sequences.append([first] + (1..<length).map { _ in Int32(rng.next() % 6) })
            labels.append([category])
        }
        return LabeledSequences(sequences: sequences, labels: labels, categoryCount: 3)
    }

    @Test func stratifiedSplitKeepsProportionsAndNeverSplitsASequence() {
        var data = Self.toy(count: 200, seed: 1)
        data.labels[3] = [1, 2]  // a name listed under two categories
        let (train, held) = data.stratifiedSplit(heldOut: 0.1, seed: 7)
        #expect(Set(train).isDisjoint(with: held) && train.count + held.count == 200)
        let counts = held.reduce(into: [0, 0, 0]) { $0[Int(data.labels[$1][0])] += 1 }
        #expect(counts == [8, 10, 2])  // 10% of 80, 100 and 20
        #expect(data.stratifiedSplit(heldOut: 0.1, seed: 7).heldOut == held)
        #expect(data.stratifiedSplit(heldOut: 0.1, seed: 8).heldOut != held)
        #expect(data.examples.count == 201)  // the two-category name trains under both
    }

    @Test func groupedSplitKeepsEachGroupTogetherAndStaysStratified() {
        let data = Self.toy(count: 200, seed: 1)
        // Pairs (2k, 2k + 1) in the first 10 of every 40 sequences are one name each (25 pairs,
        // under 2k's category: 5 under category 2, 20 under 0); the other 150 are alone. Names
        // per category: 60 + 20 = 80, 75, 15 + 5 = 20.
        let groups = (0..<200).map { $0 % 40 < 10 ? $0 / 2 : 1000 + $0 }
        let (train, held) = data.stratifiedSplit(heldOut: 0.1, seed: 7, groups: groups)
        #expect(Set(train).isDisjoint(with: held) && train.count + held.count == 200)
        let pairs = (0..<200).filter { $0 % 40 < 10 && $0 % 2 == 0 }
        #expect(pairs.allSatisfy { held.contains($0) == held.contains($0 + 1) })
        #expect(pairs.contains { held.contains($0) })  // not vacuous: some pair is held out
        // Stratified by name: 10% of 80, 75 and 20 names (7.5 rounds to 8).
        let heldNames = held.filter { !(groups[$0] < 1000 && $0 % 2 == 1) }
        #expect(heldNames.reduce(into: [0, 0, 0]) { $0[Int(data.labels[$1][0])] += 1 } == [8, 8, 2])
        // Seeded: the same seed gives the same split, another seed another.
        #expect(data.stratifiedSplit(heldOut: 0.1, seed: 7, groups: groups).heldOut == held)
        #expect(data.stratifiedSplit(heldOut: 0.1, seed: 8, groups: groups).heldOut != held)
        // Every sequence its own group (any keys): the split without groups, seed for seed.
        for seed: UInt64 in [0, 7, 8] {
            #expect(data.stratifiedSplit(heldOut: 0.1, seed: seed, groups: (0..<200).map { 3 * $0 + 1 })
                    == data.stratifiedSplit(heldOut: 0.1, seed: seed))
        }
    }

    @Test func reportOnAHandCheckedExample() {
        // Truths 0,0,1,2 (the last also 1); predictions 0,1,1,1.
        let probabilities: [[Double]] = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.1, 0.6, 0.3]]
        let report = ClassificationReport(probabilities: probabilities, labels: [[0], [0], [1], [2, 1]], categoryCount: 3)
        #expect(report.accuracy == 0.75)
        #expect(report.confusion == [[1, 1, 0], [0, 2, 0], [0, 0, 0]])
        #expect(report.precision == [1, 2.0 / 3, 0] && report.recall == [0.5, 1, 0])
        #expect(abs(report.macroF1 - (2.0 / 3 + 0.8) / 2) < 1e-12)  // category 2 has no support: left out
        #expect(report.majorityBaseline == 0.5)
        #expect(abs(report.loss - -(log(0.8) + log(0.2) + log(0.8) + log(0.3)) / 4) < 1e-12)
    }

    static func trainer(threads: Int, balance: ClassBalance = .weights) -> ClassifierTrainer {
        var settings = TrainingSettings()
        settings.batchSize = 16
        settings.threads = threads
        settings.seed = 3
        settings.optimizer = OptimizerSettings(kind: .adam, learningRate: 0.02)
        var rng = SeededGenerator(seed: 3)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: 7, hiddenSize: 16, outputSize: 3), rng: &rng)
        return ClassifierTrainer(network: network, data: toy(count: 300, seed: 2), settings: settings, balance: balance)
    }

    @Test func itLearnsTheToyTaskWithBalancedWeights() throws {
        let trainer = Self.trainer(threads: 2)
        #expect(trainer.weights.count == 3 && trainer.weights[2] > 3 * trainer.weights[0])
        for _ in 0..<(trainer.stepsPerEpoch * 12) { try trainer.trainStep() }
        let test = Self.toy(count: 200, seed: 99)
        let report = ClassificationReport(probabilities: classify(trainer.network, sequences: test.sequences),
                                          labels: test.labels, categoryCount: 3)
        #expect(report.accuracy > 0.95, "accuracy \(report.accuracy)")
        #expect(report.recall[2] > 0.9, "the rare category is learnt too: \(report.recall)")
        #expect(trainer.epoch == 11 || trainer.epoch == 12)
    }

    @Test func balanceWeightsHaveMeanOneOverTheExamples() {
        let counts = [400, 100, 25]
        let total = Float(counts.reduce(0, +))
        for balance in ClassBalance.allCases {
            let w = ClassifierTrainer.weights(counts: counts, balance: balance)
            let mean = zip(counts, w).reduce(Float(0)) { $0 + Float($1.0) * $1.1 } / total
            #expect(abs(mean - 1) < 1e-5, "\(balance): mean weight \(mean)")
            switch balance {
            case .none: #expect(w == [1, 1, 1])
            case .sqrt: #expect(abs(w[1] / w[0] - 2) < 1e-5 && abs(w[2] / w[0] - 4) < 1e-5, "\(w)")
            case .weights: #expect(abs(w[1] / w[0] - 4) < 1e-5 && abs(w[2] / w[0] - 16) < 1e-5, "\(w)")
            }
        }
    }

    @Test func sameSeedSameThreadsSameWeights() throws {
        let a = Self.trainer(threads: 2), b = Self.trainer(threads: 2)
        for _ in 0..<10 {
            try a.trainStep()
            try b.trainStep()
        }
        #expect(a.network.parameters.array == b.network.parameters.array)
    }
}
