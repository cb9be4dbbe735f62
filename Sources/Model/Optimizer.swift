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
        step += 1
        let p = parameters.pointer, g = gradients.pointer, m = first.pointer, n = first.count
        let s = settings
        switch s.kind {
        case .adam:
            let v = second.pointer
            let bias1 = 1 - pow(Double(s.beta1), Double(step))
            let bias2 = 1 - pow(Double(s.beta2), Double(step))
            let stepSize = Float(Double(rate) / bias1)
            let bias2Root = Float(bias2.squareRoot())
            let weight = 1 - s.beta1, weight2 = 1 - s.beta2
            for i in 0..<n {
                m[i] = m[i] + weight * (g[i] - m[i])  // lerp towards the gradient
                v[i] = v[i] * s.beta2 + weight2 * g[i] * g[i]
                let denominator = v[i].squareRoot() / bias2Root + s.epsilon
                p[i] = p[i] + (-stepSize) * m[i] / denominator
            }
        case .sgd:
            for i in 0..<n {
                m[i] = step == 1 ? g[i] : m[i] * s.momentum + g[i]
                p[i] = p[i] + (-rate) * m[i]
            }
        case .adagrad:
            for i in 0..<n {
                m[i] = m[i] + g[i] * g[i]
                p[i] = p[i] + (-rate) * g[i] / (m[i].squareRoot() + s.epsilon)
            }
        case .rmsprop:
            let weight = 1 - s.alpha
            for i in 0..<n {
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
        var sum = 0.0
        for i in 0..<gradients.count { sum += Double(g[i]) * Double(g[i]) }
        let norm = sum.squareRoot()
        switch self {
        case .none:
            break
        case .globalNorm(let limit):
            let coefficient = Float(Double(limit) / (norm + 1e-6))
            if coefficient < 1 { for i in 0..<gradients.count { g[i] *= coefficient } }
        case .value(let limit):
            for i in 0..<gradients.count { g[i] = min(max(g[i], -limit), limit) }
        }
        return norm
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
