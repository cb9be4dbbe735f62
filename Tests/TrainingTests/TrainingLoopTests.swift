// The one training loop's rules, on a scripted objective: validation interval, best model,
// plateau decay, patience, step and epoch limits, cancellation, divergence.

import Model
import Tensor
import Testing
import Training

/// An objective whose held-out losses are given in advance; each update moves the optimizer's
/// step and records the rate it was given.
final class ScriptedObjective: TrainingObjective {
    let network: RecurrentNetwork
    let optimizer = Optimizer(OptimizerSettings(), count: 1)
    let stepsPerEpoch: Int
    var losses: [Double]
    var rates: [Float] = []
    var divergeAt: Int?
    let scheduledLearningRate: Float = 0.1

    init(validation losses: [Double], stepsPerEpoch: Int = 10) {
        var rng = SeededGenerator(seed: 0)
        network = RecurrentNetwork(shape: NetworkShape(inputSize: 2, hiddenSize: 1, outputSize: 2), rng: &rng)
        self.losses = losses
        self.stepsPerEpoch = stepsPerEpoch
    }

    func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int) {
        if optimizer.step + 1 == divergeAt { throw .divergence(step: optimizer.step + 1) }
        rates.append(rateScale * scheduledLearningRate)
        optimizer.update(FloatBuffer([0]), FloatBuffer([0]), rate: 0)
        return (1, 8)
    }

    func validationLoss() -> Double? { losses.isEmpty ? nil : losses.removeFirst() }
}

@Suite("Training loop")
struct TrainingLoopTests {
    /// Runs a loop and collects its events.
    static func run(_ loop: TrainingLoop, cancel: CancellationToken = CancellationToken())
        throws -> (TrainingOutcome, validated: [(Int, Bool)], plateaus: [Float])
    {
        var validated: [(Int, Bool)] = [], plateaus: [Float] = []
        let outcome = try loop.run(cancel: cancel) { event in
            switch event {
            case .validated(let step, _, let improved): validated.append((step, improved))
            case .plateau(_, let rate): plateaus.append(rate)
            default: break
            }
        }
        return (outcome, validated, plateaus)
    }

    @Test func withNoLimitItStopsAfterPatienceValidationsWithoutImprovementHalvingTheRateOnEach() throws {
        // Better, better, worse, worse, worse: with patience 3 the run stops at the fifth.
        let objective = ScriptedObjective(validation: [5, 4, 4.5, 4.2, 4.1, 1])
        let loop = TrainingLoop(objective: objective, rules: StoppingRules(patience: 3, plateauFactor: 0.5, validateEvery: 10))
        let (outcome, validated, plateaus) = try Self.run(loop)
        #expect(outcome == .earlyStop)
        #expect(loop.step == 50)
        #expect(validated.map(\.0) == [10, 20, 30, 40, 50])
        #expect(validated.map(\.1) == [true, true, false, false, false])
        #expect(plateaus == [0.05, 0.025], "halved after the 3rd and 4th validations; the 5th stops the run")
        #expect(objective.rates[25] == 0.1 && objective.rates[35] == 0.05 && objective.rates[45] == 0.025)
        #expect(loop.state.bestLoss == 4 && loop.state.bestStep == 20)
        #expect(loop.state.rateScale == 0.125, "the validation that stops the run lowers the rate too, for a resume")
    }

    /// Stopping at a step limit and resuming to a later one makes the same updates as one run to
    /// the later limit, also when the validation at the first limit brings no improvement and
    /// when the run is cancelled just after a validation (the state is saved from its events).
    @Test func aRunStoppedAtAnyValidationAndResumedMatchesAnUnbrokenOne() throws {
        let losses: [Double] = [5, 4, 4.5, 4.2, 3, 3.5, 3.4, 3.6]
        let unbroken = ScriptedObjective(validation: losses)
        _ = try Self.run(TrainingLoop(objective: unbroken, rules: StoppingRules(steps: 80, patience: 5, plateauFactor: 0.5,
                                                                                 validateEvery: 10)))
        for stopAt in [30, 40, 60] {
            let objective = ScriptedObjective(validation: losses)
            let first = TrainingLoop(objective: objective, rules: StoppingRules(steps: stopAt, patience: 5, plateauFactor: 0.5,
                                                                                validateEvery: 10))
            var saved: LoopState?
            _ = try first.run { event in if case .recorded = event { saved = first.state } }
            let resumed = TrainingLoop(objective: objective, rules: StoppingRules(steps: 80, patience: 5, plateauFactor: 0.5,
                                                                                  validateEvery: 10),
                                       state: try #require(saved))
            _ = try Self.run(resumed)
            #expect(objective.rates == unbroken.rates, "stopped at \(stopAt)")
        }
    }

    @Test func secondsAddUpAcrossRunsAndAreCurrentInEvents() throws {
        let loop = TrainingLoop(objective: ScriptedObjective(validation: [1, 1, 1]), rules: StoppingRules(steps: 3, validateEvery: 3))
        var state = LoopState()
        state.seconds = 100
        loop.restore(state)
        var seen: [Double] = []
        _ = try loop.run { event in if case .recorded = event { seen.append(loop.state.seconds) } }
        #expect(seen.count == 1 && seen[0] >= 100 && loop.state.seconds >= seen[0] && loop.elapsed == loop.state.seconds)
    }

    @Test func stepAndEpochLimitsEndTheRunWithAFinalValidation() throws {
        let byEpochs = TrainingLoop(objective: ScriptedObjective(validation: [3, 2, 1]),
                                    rules: StoppingRules(epochs: 2, validateEvery: 8))
        let (outcome, validated, _) = try Self.run(byEpochs)
        #expect(outcome == .finished && byEpochs.step == 20)
        #expect(validated.map(\.0) == [8, 16, 20], "every 8 updates, and at the end")

        let bySteps = TrainingLoop(objective: ScriptedObjective(validation: [3, 2]), rules: StoppingRules(steps: 7, validateEvery: 5))
        #expect(try Self.run(bySteps).0 == .finished && bySteps.step == 7)
        #expect(bySteps.state.history.map(\.step) == [5, 7])
    }

    @Test func anExtraValidationAtTheEndDoesNotMoveThePlateauRules() throws {
        // Stopping at 7 validates there (off the schedule); the scheduled rules must not see it,
        // so that a run resumed from there decides as an unbroken one.
        let objective = ScriptedObjective(validation: [3, 1, 2.5])
        let loop = TrainingLoop(objective: objective, rules: StoppingRules(steps: 7, patience: 2, plateauFactor: 0.5, validateEvery: 5))
        _ = try Self.run(loop)
        #expect(loop.state.bestLoss == 1 && loop.state.bestStep == 7)
        #expect(loop.state.scheduledBest == 3 && loop.state.stalled == 0 && loop.state.rateScale == 1)
        loop.rules.steps = 10
        let (_, validated, plateaus) = try Self.run(loop)
        #expect(validated.map(\.0) == [10] && validated[0].1 == false, "not the best model: that was step 7's")
        #expect(plateaus.isEmpty)
        #expect(loop.state.scheduledBest == 2.5 && loop.state.stalled == 0, "better than step 5, as in an unbroken run")
    }

    @Test func cancellationAndDivergenceStopBetweenUpdates() throws {
        let cancel = CancellationToken()
        cancel.cancel(code: 2)
        let loop = TrainingLoop(objective: ScriptedObjective(validation: [1]), rules: StoppingRules(validateEvery: 5))
        #expect(try Self.run(loop, cancel: cancel).0 == .cancelled)
        #expect(loop.step == 0 && cancel.reason == 2)

        let objective = ScriptedObjective(validation: [2, 1])
        objective.divergeAt = 8
        let diverging = TrainingLoop(objective: objective, rules: StoppingRules(validateEvery: 5))
        #expect(try Self.run(diverging).0 == .diverged(step: 8))
        #expect(diverging.step == 7)
    }
}
