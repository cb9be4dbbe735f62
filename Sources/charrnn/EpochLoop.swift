// MARK: - The epoch loop of the name models: held-out loss each epoch, early stopping

import Foundation

/// How an epoch loop ended.
enum EpochOutcome: String {
    case finished = "finished"
    case earlyStop = "early stop"
    case timeLimit = "time limit"
    case interrupted = "interrupted"
}

/// Runs up to `epochs` epochs of `stepsPerEpoch` steps; after each, `evaluate` gives the
/// held-out loss and a line to print; `improved` is called (to save the model) whenever that
/// loss is the best so far. Stops after `patience` epochs without improvement, at `maxTime`
/// seconds, or on Ctrl-C / SIGTERM (between steps).
///
/// - Returns: how it ended and the best epoch (nil if no epoch finished).
func runEpochs(epochs: Int, stepsPerEpoch: Int, patience: Int, maxTime: Double?, started: Date,
               step: () throws -> Double, evaluate: () -> (loss: Double, summary: String),
               improved: (_ epoch: Int) throws -> Void) throws -> (outcome: EpochOutcome, bestEpoch: Int?)
{
    var best: (loss: Double, epoch: Int)?
    var stalled = 0
    for epoch in 1...epochs {
        var total = 0.0, steps = 0
        for _ in 0..<stepsPerEpoch {
            if stopSignal.load(ordering: .relaxed) != 0 { return (.interrupted, best?.epoch) }
            if let maxTime, Date().timeIntervalSince(started) >= maxTime { return (.timeLimit, best?.epoch) }
            total += try step()
            steps += 1
        }
        let (loss, summary) = evaluate()
        let better = best.map { loss < $0.loss } ?? true
        printNote(String(format: "epoch %d/%d: train loss %.4f, ", epoch, epochs, total / Double(max(steps, 1)))
            + summary + (better ? " (best)" : ""))
        if better {
            best = (loss, epoch)
            stalled = 0
            try improved(epoch)
        } else {
            stalled += 1
            if stalled >= patience { return (.earlyStop, best?.epoch) }
        }
    }
    return (.finished, best?.epoch)
}
