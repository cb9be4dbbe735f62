// MARK: - The one training loop: steps, validation, best model, plateaus, early stopping, limits

import Model
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the loop trains: a network and its optimizer, one update on the next batch, and a
/// held-out score. ``LanguageModelTrainer``, ``ClassifierTrainer`` and ``GeneratorTrainer`` are
/// one.
///
/// Conform to it to drive your own objective with a ``TrainingLoop``.
public protocol TrainingObjective: AnyObject {
    /// The network whose weights the updates change.
    var network: RecurrentNetwork { get }
    /// The update rule and its state; its `step` counts the updates made, which the loop reads
    /// as its own step.
    var optimizer: Optimizer { get }
    /// The scheduled learning rate (step decay) for the next update, before the plateau factor.
    var scheduledLearningRate: Float { get }
    /// Updates per pass over the training data.
    var stepsPerEpoch: Int { get }
    /// One update on the next batch with the scheduled learning rate times `rateScale`.
    ///
    /// - Parameter rateScale: the factor the plateau rule puts on the scheduled learning rate
    ///   (1 until a plateau).
    /// - Returns: the batch's mean loss in nats per token, and how many tokens it scored.
    /// - Throws: ``TrainingError/divergence(step:)`` when the loss is not finite (nothing was
    ///   updated).
    /// - Complexity: a forward and a backward pass over one batch.
    func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int)
    /// The held-out loss of the current weights in nats per token, or nil when nothing is held out.
    ///
    /// - Returns: the mean loss over the held-out data, or nil when there is none.
    /// - Complexity: a forward pass over the held-out data.
    func validationLoss() -> Double?
    /// The same, or nil as soon as `cancel` is set (for held-out data that takes long to score).
    func validationLoss(cancel: CancellationToken) -> Double?
}

extension TrainingObjective {
    /// Checks `cancel` once, before scoring.
    public func validationLoss(cancel: CancellationToken) -> Double? { cancel.isCancelled ? nil : validationLoss() }
}

/// One row of a run's history: the mean training loss since the previous row, the validation
/// loss when it was measured, the learning rate and the speed.
public struct HistoryPoint: Codable, Equatable, Sendable {
    /// The updates made when the row was recorded.
    public var step: Int
    /// Mean training loss over the steps since the previous point, in nats per token (nil when
    /// no step ran since).
    public var trainLoss: Double?
    /// Validation loss at this step, in nats per token, if it was measured.
    public var validationLoss: Double?
    /// The learning rate of the next update, after step decay and the plateau factor.
    public var learningRate: Float
    /// Tokens trained on per second since the previous row.
    public var tokensPerSecond: Double

    /// A row with these values.
    ///
    /// - Parameters:
    ///   - step: the updates made so far.
    ///   - trainLoss: the mean training loss since the previous row, or nil.
    ///   - validationLoss: the held-out loss at this step, or nil.
    ///   - learningRate: the learning rate of the next update.
    ///   - tokensPerSecond: the speed since the previous row.
    public init(step: Int, trainLoss: Double?, validationLoss: Double?, learningRate: Float, tokensPerSecond: Double) {
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
    }
}

/// When a run stops and how validation steers it. Every limit that is set applies; the first
/// reached ends the run.
public struct StoppingRules: Codable, Equatable, Sendable {
    /// Updates in all, counting those before a resume (nil: no limit).
    public var steps: Int?
    /// Passes over the training data in all (nil: no limit).
    public var epochs: Int?
    /// Seconds of training in this run (nil: no limit).
    public var maxTime: Double?
    /// Validations in a row without a better held-out loss after which the run stops (0: never).
    public var patience: Int
    /// The learning rate is multiplied by this after each validation without a better held-out
    /// loss that does not stop the run (1: never).
    public var plateauFactor: Float
    /// Updates between validations.
    public var validateEvery: Int
    /// How much lower than the best a held-out loss must be, as a share of the best, for the
    /// plateau and patience rules to count it as better (0: any decrease). The best model is
    /// kept on any decrease.
    public var minimumImprovement: Double

    /// Rules with these limits; by default none, so a run goes on until it is cancelled or
    /// diverges.
    ///
    /// - Parameters:
    ///   - steps: updates in all, counting those before a resume (nil: no limit).
    ///   - epochs: passes over the training data in all (nil: no limit).
    ///   - maxTime: seconds of training in this run (nil: no limit).
    ///   - patience: validations in a row without improvement that stop the run (0: never).
    ///   - plateauFactor: the learning rate's factor after a validation without improvement
    ///     (1: never lowered).
    ///   - validateEvery: updates between validations; values below 1 count as 1.
    public init(steps: Int? = nil, epochs: Int? = nil, maxTime: Double? = nil, patience: Int = 0,
                plateauFactor: Float = 1, minimumImprovement: Double = 0, validateEvery: Int)
    {
        self.minimumImprovement = minimumImprovement
        self.steps = steps
        self.epochs = epochs
        self.maxTime = maxTime
        self.patience = patience
        self.plateauFactor = plateauFactor
        self.validateEvery = max(1, validateEvery)
    }
}

/// What the loop has learnt so far, kept in a resume file so that a resumed run decides exactly
/// as an unbroken one.
public struct LoopState: Codable, Equatable, Sendable {
    /// One row per scheduled validation, and one when a run stops with updates since the last
    /// row; oldest first.
    public var history: [HistoryPoint] = []
    /// The lowest held-out loss seen (nats per token) and its step: the model `--out` holds.
    public var bestLoss: Double?
    /// The update after which ``bestLoss`` was measured.
    public var bestStep: Int?
    /// The lowest loss among the scheduled validations (those every `validateEvery` updates)
    /// that counted as better, which alone drive the plateau and patience rules, so that an extra validation at a
    /// time limit or an interruption changes nothing in the weights of a resumed run.
    public var scheduledBest: Double?
    /// Scheduled validations in a row without improvement.
    public var stalled = 0
    /// The factor the plateau rule has put on the learning rate.
    public var rateScale: Float = 1
    /// Seconds spent training, earlier runs included (current while a run goes on).
    public var seconds = 0.0

    /// The state of a new run: no history, no best, learning rate factor 1.
    public init() {}
}

/// What a run tells its caller as it goes.
public enum TrainingEvent: Sendable {
    /// An update finished with this batch loss (nats per token).
    case step(step: Int, loss: Double, tokensPerSecond: Double)
    /// Validation ran; `improved` when it is the best so far (the caller saves the model then).
    case validated(step: Int, loss: Double, improved: Bool)
    /// A validation without improvement lowered the learning rate to `learningRate`.
    case plateau(step: Int, learningRate: Float)
    /// A history row was recorded (at each validation, and at the end).
    case recorded(HistoryPoint)
}

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// The step or epoch limit was reached.
    case finished
    /// `patience` validations in a row did not improve.
    case earlyStop
    /// The time limit was reached.
    case timeLimit
    /// The caller's cancellation token was set.
    case cancelled
    /// The loss was not finite at this step; the weights are those before it.
    case diverged(step: Int)

    /// A short phrase for reports: "finished", "early stop", "time limit", ….
    public var phrase: String {
        switch self {
        case .finished: "finished"
        case .earlyStop: "early stop"
        case .timeLimit: "time limit"
        case .cancelled: "interrupted"
        case .diverged: "diverged"
        }
    }
}

/// A flag the caller holds to stop a run between two updates: the CLI sets it from Ctrl-C, a
/// server when its client goes away. Safe to set from any thread or a signal handler.
public final class CancellationToken: Sendable {
    private let code = Atomic<Int32>(0)

    /// A token that is not set.
    public init() {}

    /// Asks the run to stop; `code` (non-zero) says why (the CLI stores the signal number).
    ///
    /// The run stops before its next update; a token once set stays set.
    ///
    /// - Parameter code: why the run is stopped, read back by ``reason``; 0 counts as 1.
    public func cancel(code: Int32 = 1) { self.code.store(code == 0 ? 1 : code, ordering: .relaxed) }

    /// Whether ``cancel(code:)`` has been called.
    public var isCancelled: Bool { code.load(ordering: .relaxed) != 0 }
    /// The code given to `cancel`, or 0.
    public var reason: Int32 { code.load(ordering: .relaxed) }
}

/// Trains an objective until a limit: validates every `validateEvery` updates and at the end,
/// keeps the best held-out loss, lowers the learning rate on a plateau, stops early after
/// `patience` validations without improvement, at `maxTime`, or when cancelled.
public final class TrainingLoop {
    /// What the loop trains.
    public let objective: any TrainingObjective
    /// When the run stops and how validation steers it; may be changed between runs.
    public var rules: StoppingRules
    /// What the loop has learnt so far: history, best loss, plateau factor, seconds.
    public private(set) var state: LoopState
    private var pendingLoss = 0.0, pendingSteps = 0

    /// A loop over `objective`, new or resumed.
    ///
    /// - Parameters:
    ///   - objective: what to train.
    ///   - rules: when to stop and how to validate.
    ///   - state: a resumed run's state (from its resume file), or a new one.
    public init(objective: any TrainingObjective, rules: StoppingRules, state: LoopState = LoopState()) {
        self.objective = objective
        self.rules = rules
        self.state = state
    }

    /// Updates made so far.
    public var step: Int { objective.optimizer.step }

    /// The step at which the step and epoch limits end the run (nil: neither is set).
    public var stepLimit: Int? {
        let byEpochs = rules.epochs.map { $0.multipliedReportingOverflow(by: objective.stepsPerEpoch) }
            .map { $0.overflow ? Int.max : $0.partialValue }
        return [rules.steps, byEpochs].compactMap { $0 }.min()
    }

    /// Passes over the training data so far (fractional).
    public var epoch: Double { Double(step) / Double(max(objective.stepsPerEpoch, 1)) }

    /// The learning rate of the next update.
    public var learningRate: Float { state.rateScale * objective.scheduledLearningRate }

    /// Seconds spent training, earlier runs included (kept current while the loop runs).
    public var elapsed: Double { state.seconds }

    /// Continues from a saved state (a resume file's).
    public func restore(_ state: LoopState) { self.state = state }

    /// Runs until a limit, early stopping, divergence or cancellation. `events` may throw (a
    /// failed save) to end the run with that error.
    ///
    /// Before each update the loop checks, in this order, the step and epoch limits, the token
    /// and the time limit. After every `validateEvery` updates it validates, records a history
    /// row, and applies the patience and plateau rules. When it stops, except by divergence, it
    /// validates and records once more if updates ran since the last row.
    ///
    /// - Parameters:
    ///   - cancel: set it (from any thread) to stop before the next update.
    ///   - events: called with each ``TrainingEvent`` as it happens, on the calling thread.
    /// - Returns: why the run stopped.
    /// - Throws: an error thrown by `events`, or a ``TrainingError`` from the objective other than
    ///   a divergence. A divergence is not thrown: the run returns
    ///   ``TrainingOutcome/diverged(step:)``.
    /// - Complexity: one ``TrainingObjective/trainStep(rateScale:)`` per update, and one
    ///   ``TrainingObjective/validationLoss()`` per validation.
    public func run(cancel: CancellationToken = CancellationToken(), events: (TrainingEvent) throws -> Void) throws
        -> TrainingOutcome
    {
        let started = monotonicSeconds(), before = state.seconds
        var intervalStart = started, intervalTokens = 0
        let limit = stepLimit ?? Int.max, every = max(1, rules.validateEvery)
        // The time spent so far, earlier runs included, kept current for every event (a resume
        // file written from an event holds it).
        func tick() { state.seconds = before + monotonicSeconds() - started }
        func rate() -> Double { Double(intervalTokens) / max(monotonicSeconds() - intervalStart, 1e-9) }
        let outcome: TrainingOutcome
        while true {
            tick()
            if step >= limit { outcome = .finished; break }
            if cancel.isCancelled { outcome = .cancelled; break }
            if let maxTime = rules.maxTime, monotonicSeconds() - started >= maxTime { outcome = .timeLimit; break }
            let result: (loss: Double, tokens: Int)
            do { result = try objective.trainStep(rateScale: state.rateScale) } catch {
                if case .divergence(let step) = error { return .diverged(step: step) }
                throw error
            }
            pendingLoss += result.loss
            pendingSteps += 1
            intervalTokens += result.tokens
            tick()
            try events(.step(step: step, loss: result.loss, tokensPerSecond: rate()))
            guard step % every == 0 else { continue }
            let stop = try record(events: events, rate: rate(), scheduled: true, limit: limit, cancel: cancel)
            intervalStart = monotonicSeconds()
            intervalTokens = 0
            if stop { outcome = .earlyStop; break }
        }
        tick()
        if pendingSteps > 0 || state.history.last?.step != step {
            _ = try record(events: events, rate: rate(), scheduled: false, limit: limit, cancel: cancel)
        }
        return outcome
    }

    /// Validates, keeps the best, applies the plateau and patience rules when the validation is
    /// a scheduled one, and appends a history row, all before the events that report them (so
    /// that a resume file written from an event holds the state after this validation).
    ///
    /// - Returns: whether the patience rule ends the run.
    private func record(events: (TrainingEvent) throws -> Void, rate: Double, scheduled: Bool, limit: Int,
                        cancel: CancellationToken) throws -> Bool
    {
        // A scheduled validation always completes (the rules must see it, or a resumed run would
        // differ); the one at the end of a run that was asked to stop is skipped as soon as the
        // request comes, so that a long held-out text cannot hold the stop up.
        let loss = (scheduled ? objective.validationLoss() : objective.validationLoss(cancel: cancel))
            .flatMap { $0.isFinite ? $0 : nil }
        let rateUsed = learningRate  // of the updates before this row
        var improved = false, stop = false, lowered = false
        if let loss {
            improved = state.bestLoss.map { loss < $0 } ?? true
            if improved {
                state.bestLoss = loss
                state.bestStep = step
            }
        }
        if scheduled, let loss {
            if state.scheduledBest.map({ loss < $0 * (1 - rules.minimumImprovement) }) ?? true {
                state.scheduledBest = loss
                state.stalled = 0
            } else {
                // The rate falls on every validation without improvement, also the one that ends
                // the run: a run resumed from there goes on as an unbroken one would have.
                state.stalled += 1
                stop = rules.patience > 0 && state.stalled >= rules.patience
                if rules.plateauFactor < 1 {
                    state.rateScale *= rules.plateauFactor
                    lowered = !stop && step < limit
                }
            }
        }
        let point = HistoryPoint(step: step, trainLoss: pendingSteps > 0 ? pendingLoss / Double(pendingSteps) : nil,
                                 validationLoss: loss, learningRate: rateUsed, tokensPerSecond: rate)
        state.history.append(point)
        pendingLoss = 0
        pendingSteps = 0
        if let loss { try events(.validated(step: step, loss: loss, improved: improved)) }
        if lowered { try events(.plateau(step: step, learningRate: learningRate)) }
        try events(.recorded(point))
        return stop
    }
}

/// Seconds from an arbitrary start, never going backwards.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
