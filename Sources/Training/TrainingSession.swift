// MARK: - A training run: steps, periodic validation, time limit, interruption

import Model

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One row of a run's history: the mean training loss since the previous row, the validation
/// loss when it was measured, the learning rate and the speed.
public struct HistoryPoint: Codable, Equatable, Sendable {
    public var step: Int
    /// Mean training loss over the steps since the previous point, in nats per token (nil when
    /// no step ran since).
    public var trainLoss: Double?
    /// Validation loss at this step, in nats per token, if it was measured.
    public var validationLoss: Double?
    public var learningRate: Float
    public var tokensPerSecond: Double

    public init(step: Int, trainLoss: Double?, validationLoss: Double?, learningRate: Float, tokensPerSecond: Double) {
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
    }
}

/// What a run tells its driver as it goes.
public enum TrainingEvent: Sendable {
    /// A step finished with this batch loss (nats per token).
    case step(step: Int, loss: Double, tokensPerSecond: Double)
    /// Validation ran; `improved` when it is the best so far (the driver saves the model then).
    case validated(step: Int, loss: Double, improved: Bool)
    /// A history row was recorded (at each validation, or each `recordEvery` steps).
    case recorded(HistoryPoint)
}

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// All steps done.
    case finished
    /// The time limit was reached.
    case timeLimit
    /// The driver asked to stop (Ctrl-C).
    case interrupted
    /// The loss was not finite at this step; the weights are those before it.
    case diverged(step: Int)
}

/// Drives a `LanguageModelTrainer` to a step count, validating every `validateEvery` steps and
/// at the end, keeping the best validation loss, and stopping at a time limit or on request.
public final class TrainingSession {
    public let trainer: LanguageModelTrainer
    public let validation: [Int32]
    public var totalSteps: Int
    public var validateEvery: Int
    /// Seconds after which the run stops (checked between steps), if any.
    public var maxTime: Double?
    public private(set) var history: [HistoryPoint]
    public private(set) var bestValidation: Double?
    public private(set) var bestStep: Int?
    private var pendingLoss = 0.0, pendingSteps = 0

    public init(trainer: LanguageModelTrainer, validation: [Int32], totalSteps: Int, validateEvery: Int,
                history: [HistoryPoint] = [], best: (loss: Double, step: Int)? = nil)
    {
        self.trainer = trainer
        self.validation = validation
        self.totalSteps = totalSteps
        self.validateEvery = max(1, validateEvery)
        self.history = history
        bestValidation = best?.loss
        bestStep = best?.step
    }

    /// Validation loss of the current weights (nats per token), or nil without validation text.
    public func validate() -> Double? {
        guard validation.count > 1 else { return nil }
        return validationLoss(trainer.network, tokens: validation, batch: trainer.settings.batchSize,
                              steps: trainer.settings.sequenceLength)
    }

    /// Runs until `totalSteps`, the time limit, divergence, or `shouldStop()` returns true.
    /// `events` may throw (a failed save) to end the run with that error.
    public func run(events: (TrainingEvent) throws -> Void, shouldStop: () -> Bool) throws -> TrainingOutcome {
        let started = monotonicSeconds()
        var intervalStart = started, intervalTokens = 0
        let tokensPerStep = trainer.settings.batchSize * trainer.settings.sequenceLength
        var outcome = TrainingOutcome.finished
        while trainer.step < totalSteps {
            if shouldStop() { outcome = .interrupted; break }
            if let maxTime, monotonicSeconds() - started >= maxTime { outcome = .timeLimit; break }
            let loss: Double
            do { loss = try trainer.trainStep() } catch {
                if case .divergence(let step) = error { return .diverged(step: step) }
                throw error
            }
            pendingLoss += loss
            pendingSteps += 1
            intervalTokens += tokensPerStep
            let now = monotonicSeconds()
            let rate = Double(intervalTokens) / max(now - intervalStart, 1e-9)
            try events(.step(step: trainer.step, loss: loss, tokensPerSecond: rate))
            if trainer.step % validateEvery == 0 && trainer.step < totalSteps {
                try record(events: events, rate: rate)
                intervalStart = monotonicSeconds()
                intervalTokens = 0
            }
        }
        if pendingSteps > 0 || history.last?.step != trainer.step {
            let rate = Double(intervalTokens) / max(monotonicSeconds() - intervalStart, 1e-9)
            try record(events: events, rate: rate)
        }
        return outcome
    }

    private func record(events: (TrainingEvent) throws -> Void, rate: Double) throws {
        let loss = validate().flatMap { $0.isFinite ? $0 : nil }
        if let loss {
            let improved = bestValidation.map { loss < $0 } ?? true
            if improved {
                bestValidation = loss
                bestStep = trainer.step
            }
            try events(.validated(step: trainer.step, loss: loss, improved: improved))
        }
        let settings = trainer.settings
        let point = HistoryPoint(
            step: trainer.step, trainLoss: pendingSteps > 0 ? pendingLoss / Double(pendingSteps) : nil,
            validationLoss: loss, learningRate: settings.schedule.rate(settings.optimizer.learningRate, step: trainer.step),
            tokensPerSecond: rate)
        history.append(point)
        pendingLoss = 0
        pendingSteps = 0
        try events(.recorded(point))
    }
}

/// Seconds from an arbitrary start, never going backwards.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
