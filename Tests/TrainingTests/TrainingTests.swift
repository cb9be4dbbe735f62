// The training loop: batching, optimizers, clipping, reproducibility, and that it learns.

import Foundation
import Testing
import Model
import Tensor
import Training

@Suite("Training")
struct TrainingTests {
    @Test func batcherServesParallelStreamsShiftedByOne() throws {
        let tokens = (0..<23).map(Int32.init)
        var batcher = try TextBatcher(tokens: tokens, batch: 2, steps: 3)
        #expect(batcher.streamLength == 11 && batcher.batchesPerEpoch == 3)
        let first = batcher.next()
        #expect(first.startsEpoch)
        #expect(first.inputs == [0, 11, 1, 12, 2, 13])  // step-major: t0 (s0, s1), t1, t2
        #expect(first.targets == [1, 12, 2, 13, 3, 14])
        let second = batcher.next()
        #expect(!second.startsEpoch && second.inputs == [3, 14, 4, 15, 5, 16])
        _ = batcher.next()
        #expect(batcher.epoch == 1 && batcher.atEpochStart)
        #expect(throws: TrainingError.corpusTooSmall(tokens: 5, needed: 7)) {
            try TextBatcher(tokens: [1, 2, 3, 4, 5], batch: 2, steps: 3)
        }
    }

    @Test func optimizersFollowPyTorchsFormulas() {
        let g: [Float] = [0.5, -1, 0.25]
        for kind in OptimizerKind.allCases {
            let settings = OptimizerSettings(kind: kind, learningRate: 0.1)
            let optimizer = Optimizer(settings, count: 3)
            let p = FloatBuffer([1, 2, 3]), grad = FloatBuffer(g)
            var expected: [Double] = [1, 2, 3]
            var m = [Double](repeating: 0, count: 3), v = m
            for step in 1...3 {
                optimizer.update(p, grad, rate: 0.1)
                for i in 0..<3 {
                    let gi = Double(g[i])
                    switch kind {
                    case .adam:
                        m[i] = 0.9 * m[i] + 0.1 * gi
                        v[i] = 0.999 * v[i] + 0.001 * gi * gi
                        let mHat = m[i] / (1 - pow(0.9, Double(step))), vHat = v[i] / (1 - pow(0.999, Double(step)))
                        expected[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
                    case .sgd:
                        m[i] = step == 1 ? gi : 0.9 * m[i] + gi
                        expected[i] -= 0.1 * m[i]
                    case .adagrad:
                        m[i] += gi * gi
                        expected[i] -= 0.1 * gi / (m[i].squareRoot() + 1e-10)
                    case .rmsprop:
                        m[i] = 0.99 * m[i] + 0.01 * gi * gi
                        expected[i] -= 0.1 * gi / (m[i].squareRoot() + 1e-8)
                    }
                }
            }
            for i in 0..<3 { #expect(abs(Double(p[i]) - expected[i]) < 1e-5, "\(kind) element \(i)") }
        }
    }

    @Test func clipping() {
        let g = FloatBuffer([3, 4])
        #expect(GradientClipping.globalNorm(1).apply(to: g) == 5)
        #expect(abs(g[0] - 0.6) < 1e-6 && abs(g[1] - 0.8) < 1e-6)
        let small = FloatBuffer([0.3, 0.4])
        GradientClipping.globalNorm(1).apply(to: small)
        #expect(small.array == [0.3, 0.4])
        let values = FloatBuffer([-7, 0.5, 9])
        GradientClipping.value(2).apply(to: values)
        #expect(values.array == [-2, 0.5, 2])
        #expect(LearningRateSchedule(decay: 0.5, every: 10).rate(1, step: 25) == 0.25)
    }

    /// A trainer's update runs in pieces on several threads: clipping and every optimizer over
    /// ranges must give the whole block's result bit for bit, and the norm summed in chunks the
    /// float64 sum.
    @Test func updatesInPiecesEqualTheWholeBlock() {
        let n = 2 * (1 << 13) + 1_001  // two whole chunks and a part
        var rng = SeededGenerator(seed: 9)
        let start = (0..<n).map { _ in rng.uniform(-1, 1) }, gradient = (0..<n).map { _ in rng.uniform(-0.02, 0.02) }
        let block = FloatBuffer(gradient)
        let squares = GradientClipping.chunks(count: n).reduce(0) { $0 + GradientClipping.sumOfSquares(block.pointer, $1) }
        let exact = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(GradientClipping.chunks(count: n).map(\.count) == [1 << 13, 1 << 13, 1_001])
        #expect(abs(squares - exact) <= 1e-12 * exact)
        for kind in OptimizerKind.allCases {
            for clipping in [GradientClipping.none, .globalNorm(0.5), .value(0.01)] {
                let whole = Optimizer(OptimizerSettings(kind: kind), count: n), pieces = Optimizer(OptimizerSettings(kind: kind), count: n)
                let p1 = FloatBuffer(start), p2 = FloatBuffer(start)
                for _ in 0..<3 {
                    let g1 = FloatBuffer(gradient), g2 = FloatBuffer(gradient)
                    clipping.apply(to: g1)
                    whole.update(p1, g1, rate: 1e-2)
                    let step = pieces.beginUpdate(rate: 1e-2)
                    for range in [0..<5_000, 5_000..<5_001, 5_001..<n] {
                        clipping.apply(norm: squares.squareRoot(), to: g2, range: range)
                        pieces.apply(step, p2, g2, range: range)
                    }
                }
                let same = p1.array == p2.array && whole.first.array == pieces.first.array && whole.second.array == pieces.second.array
                #expect(same, "\(kind), \(clipping)")
            }
        }
    }

    /// Adam runs eight elements at a time and the rest one at a time: both must give the same
    /// bits, so an update does not depend on where a thread's range starts.
    @Test func vectorLoopsEqualOneElementAtATime() {
        let n = 37
        var rng = SeededGenerator(seed: 4)
        let start = (0..<n).map { _ in rng.uniform(-1, 1) }
        for kind in OptimizerKind.allCases {
            let whole = Optimizer(OptimizerSettings(kind: kind), count: n), single = Optimizer(OptimizerSettings(kind: kind), count: n)
            let p1 = FloatBuffer(start), p2 = FloatBuffer(start)
            for _ in 0..<4 {
                let gradient = FloatBuffer((0..<n).map { _ in rng.uniform(-0.5, 0.5) })
                whole.update(p1, gradient, rate: 1e-2)
                let step = single.beginUpdate(rate: 1e-2)
                for i in 0..<n { single.apply(step, p2, gradient, range: i..<i + 1) }
            }
            #expect(p1.array != start, "\(kind) moved nothing")
            let same = p1.array == p2.array && whole.first.array == single.first.array && whole.second.array == single.second.array
            #expect(same, "\(kind)")
        }
    }

    static func trainer(threads: Int, seed: UInt64 = 3, text: String = String(repeating: "the cat sat on the mat. ", count: 40),
                        hiddenSize: Int = 16) -> LanguageModelTrainer
    {
        let alphabet = Array(Set(text)).sorted()
        let tokens = text.map { Int32(alphabet.firstIndex(of: $0)!) }
        var settings = TrainingSettings()
        settings.batchSize = 4
        settings.sequenceLength = 8
        settings.threads = threads
        settings.optimizer = OptimizerSettings(kind: .adam, learningRate: 1e-2)
        var rng = SeededGenerator(seed: seed)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: alphabet.count, hiddenSize: hiddenSize, outputSize: alphabet.count),
                                   rng: &rng)
        return LanguageModelTrainer(network: network, settings: settings,
                                    batcher: try! TextBatcher(tokens: tokens, batch: 4, steps: 8))
    }

    @Test func sameSeedAndThreadsGiveBitIdenticalWeights() throws {
        // H = 100: 12,411 parameters, so the update is shared out in two chunks.
        for threads in [1, 2, 3] {
            let a = Self.trainer(threads: threads, hiddenSize: 100), b = Self.trainer(threads: threads, hiddenSize: 100)
            for _ in 0..<30 {
                try a.trainStep()
                try b.trainStep()
            }
            #expect(a.network.parameters.array == b.network.parameters.array, "threads \(threads)")
        }
        let c = Self.trainer(threads: 1, seed: 4)
        #expect(c.network.parameters.array != Self.trainer(threads: 1).network.parameters.array)
    }

    @Test func twoThreadsMatchOneUpToRounding() throws {
        let one = Self.trainer(threads: 1, hiddenSize: 100), two = Self.trainer(threads: 2, hiddenSize: 100)
        for _ in 0..<5 {
            let l1 = try one.trainStep(), l2 = try two.trainStep()
            #expect(abs(l1 - l2) < 1e-4 * l1)
        }
        let worst = zip(one.network.parameters.array, two.network.parameters.array).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
    }

    @Test func itLearnsARepetitiveText() throws {
        let trainer = Self.trainer(threads: 2)
        let first = try trainer.trainStep()
        var last = first
        for _ in 0..<300 { last = try trainer.trainStep() }
        #expect(first > 2.0)  // about log(11) for 11 letters
        #expect(last < 0.5, "loss after 300 steps: \(last)")
        let tokens = Array(trainer.batcher.tokens.prefix(100))
        let (nats, count) = evaluateLanguageModel(trainer.network, tokens: tokens)
        #expect(count == 99 && nats < 1.0)
        let (chunked, _) = evaluateLanguageModel(trainer.network, tokens: tokens, chunk: 7)
        #expect(abs(chunked - nats) < 1e-5 * nats)
    }
}
