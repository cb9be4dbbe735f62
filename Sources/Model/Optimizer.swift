// MARK: - Optimizers, gradient clipping and the learning-rate schedule

import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The update rules, each exactly as PyTorch's `torch.optim` class of the same name computes it
/// (same order of float32 operations, so runs compare closely with PyTorch's).
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam (Kingma and Ba), with bias correction.
    case adam
    /// Stochastic gradient descent with momentum (no dampening, not Nesterov).
    case sgd
    /// Adagrad, as in min-char-rnn.
    case adagrad
    /// RMSprop, as in char-rnn.
    case rmsprop
}

/// An optimizer's settings; the defaults are PyTorch's, except the learning rate (charrnn's).
public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var kind: OptimizerKind = .adam
    /// Step size (Adam 2e-3: the starting default for these small RNNs).
    public var learningRate: Float = 2e-3
    /// Adam's decay rates of the first and second moment estimates.
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    /// Added to the denominator for stability: 1e-8 (Adam, RMSprop); Adagrad uses 1e-10.
    public var epsilon: Float = 1e-8
    /// SGD momentum.
    public var momentum: Float = 0.9
    /// RMSprop's smoothing constant (char-rnn used 0.95; PyTorch's default 0.99).
    public var alpha: Float = 0.99

    public init(kind: OptimizerKind = .adam, learningRate: Float = 2e-3) {
        self.kind = kind
        self.learningRate = learningRate
        if kind == .adagrad { epsilon = 1e-10 }
    }
}

/// Updates a parameter block from a gradient block of the same layout, keeping its moments in
/// blocks of that layout too.
public final class Optimizer: @unchecked Sendable {
    public let settings: OptimizerSettings
    /// Updates made so far.
    public private(set) var step = 0
    /// Adam's first moment, SGD's momentum buffer, Adagrad's sum of squares, RMSprop's average
    /// of squares.
    public let first: FloatBuffer
    /// Adam's second moment (empty for the others).
    public let second: FloatBuffer

    public init(_ settings: OptimizerSettings, count: Int) {
        self.settings = settings
        first = FloatBuffer(count: count)
        second = FloatBuffer(count: settings.kind == .adam ? count : 0)
    }

    /// Restores the state saved from an optimizer of the same settings and size.
    public func restore(step: Int, first: [Float], second: [Float]) {
        precondition(first.count == self.first.count && second.count == self.second.count, "optimizer state size")
        self.step = step
        for i in 0..<first.count { self.first[i] = first[i] }
        for i in 0..<second.count { self.second[i] = second[i] }
    }

    /// One update of `parameters` by `gradients` with learning rate `rate`.
    public func update(_ parameters: FloatBuffer, _ gradients: FloatBuffer, rate: Float) {
        precondition(parameters.count == first.count && gradients.count == first.count, "optimizer size")
        apply(beginUpdate(rate: rate), parameters, gradients, range: 0..<first.count)
    }

    /// The constants of one update, the same for every part of the block.
    public struct Update: Sendable {
        let rate: Float
        let step: Int
        /// Adam: the learning rate over the first moment's bias correction, and the square root
        /// of the second's.
        let stepSize: Float, bias2Root: Float
    }

    /// Starts an update at learning rate `rate`: counts it, and returns what `apply` needs to
    /// update the block, in one piece or in ranges on several threads at once (each element's
    /// arithmetic is the same either way).
    public func beginUpdate(rate: Float) -> Update {
        step += 1
        guard settings.kind == .adam else { return Update(rate: rate, step: step, stepSize: 0, bias2Root: 0) }
        let bias1 = 1 - pow(Double(settings.beta1), Double(step))
        let bias2 = 1 - pow(Double(settings.beta2), Double(step))
        return Update(rate: rate, step: step, stepSize: Float(Double(rate) / bias1), bias2Root: Float(bias2.squareRoot()))
    }

    /// Updates the elements `range` of `parameters` by the same elements of `gradients`.
    public func apply(_ update: Update, _ parameters: FloatBuffer, _ gradients: FloatBuffer, range: Range<Int>) {
        precondition(parameters.count == first.count && gradients.count == first.count && range.upperBound <= first.count,
                     "optimizer size")
        let p = parameters.pointer, g = gradients.pointer, m = first.pointer
        let s = settings, rate = update.rate
        switch s.kind {
        case .adam:
            let v = second.pointer
            let stepSize = update.stepSize, bias2Root = update.bias2Root
            let weight = 1 - s.beta1, beta2 = s.beta2, weight2 = 1 - s.beta2, epsilon = s.epsilon
            // Eight elements at a time, then one at a time: every lane does the scalar loop's
            // operations in its order (Swift fuses no multiply-add), so the results are the same.
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let gi = Lanes.load(g + i)
                let m0 = Lanes.load(m + i)
                let mi = m0 + weight * (gi - m0)  // lerp towards the gradient
                let vi = Lanes.load(v + i) * beta2 + weight2 * gi * gi
                let denominator = vi.squareRoot() / bias2Root + epsilon
                Lanes.store(mi, m + i)
                Lanes.store(vi, v + i)
                Lanes.store(Lanes.load(p + i) + (-stepSize) * mi / denominator, p + i)
                i += 8
            }
            for i in i..<range.upperBound {
                m[i] = m[i] + weight * (g[i] - m[i])
                v[i] = v[i] * beta2 + weight2 * g[i] * g[i]
                let denominator = v[i].squareRoot() / bias2Root + epsilon
                p[i] = p[i] + (-stepSize) * m[i] / denominator
            }
        case .sgd:
            let first = update.step == 1
            for i in range {
                m[i] = first ? g[i] : m[i] * s.momentum + g[i]
                p[i] = p[i] + (-rate) * m[i]
            }
        case .adagrad:
            for i in range {
                m[i] = m[i] + g[i] * g[i]
                p[i] = p[i] + (-rate) * g[i] / (m[i].squareRoot() + s.epsilon)
            }
        case .rmsprop:
            let weight = 1 - s.alpha
            for i in range {
                m[i] = m[i] * s.alpha + weight * g[i] * g[i]
                p[i] = p[i] + (-rate) * g[i] / (m[i].squareRoot() + s.epsilon)
            }
        }
    }
}

/// How gradients are limited before an update.
public enum GradientClipping: Codable, Equatable, Sendable {
    /// No limit.
    case none
    /// Scale all gradients together so their global L2 norm is at most the value
    /// (`torch.nn.utils.clip_grad_norm_`, with its 1e-6 guard).
    case globalNorm(Float)
    /// Clamp each gradient element to ± the value (char-rnn's `grad_clip`).
    case value(Float)

    /// Applies the clipping; returns the global norm before clipping.
    @discardableResult
    public func apply(to gradients: FloatBuffer) -> Double {
        let g = gradients.pointer
        let norm = Self.chunks(count: gradients.count).reduce(0) { $0 + Self.sumOfSquares(g, $1) }.squareRoot()
        apply(norm: norm, to: gradients, range: 0..<gradients.count)
        return norm
    }

    /// The pieces the global norm is summed in: its square is the sum, in this order, of each
    /// piece's sum of squares, so that it does not depend on how many threads computed them.
    public static func chunks(count: Int) -> [Range<Int>] {
        let size = 1 << 13
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// Σ g[i]² over `range`, in Double (eight partial sums over i mod 8, added at the end).
    public static func sumOfSquares(_ g: UnsafePointer<Float>, _ range: Range<Int>) -> Double {
        var s = SIMD8<Double>()
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let x = SIMD8<Double>(UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self))
            s += x * x  // exact: a float's square fits a double
            i += 8
        }
        var sum = s.sum()
        while i < range.upperBound {
            sum += Double(g[i]) * Double(g[i])
            i += 1
        }
        return sum
    }

    /// Clips the elements `range` of `gradients`, given the global norm of all of them.
    public func apply(norm: Double, to gradients: FloatBuffer, range: Range<Int>) {
        let g = gradients.pointer
        switch self {
        case .none:
            break
        case .globalNorm(let limit):
            let coefficient = Float(Double(limit) / (norm + 1e-6))
            if coefficient < 1 { for i in range { g[i] *= coefficient } }
        case .value(let limit):
            for i in range { g[i] = min(max(g[i], -limit), limit) }
        }
    }
}

/// Step decay of the learning rate: `rate · decay^⌊step / every⌋` (char-rnn decays by 0.97 per
/// epoch); decay 1 keeps it constant.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var decay: Float = 1
    public var every: Int = 1000

    public init(decay: Float = 1, every: Int = 1000) {
        self.decay = decay
        self.every = max(every, 1)
    }

    /// The rate for an update after `step` previous ones.
    public func rate(_ base: Float, step: Int) -> Float {
        decay == 1 ? base : base * Float(pow(Double(decay), Double(step / every)))
    }
}
