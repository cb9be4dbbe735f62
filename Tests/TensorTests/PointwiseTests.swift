// The vectorized pointwise kernels (tanh, its gradient, softmax cross-entropy) against Float64,
// on every instruction set this CPU runs.

import Foundation
import Testing
import Tensor

/// The tolerances of these tests, in one place.
private enum Allowed {
    /// tanh, in units in the last place of the exact result (an exhaustive run over every
    /// float measured at most 1.52 on AVX2 and portable).
    static let tanhULPs = 2.0
    /// dh · (1 − h²): one rounding of h² is an absolute error of 2^−24 in (1 − h²).
    static func tanhBackward(dh: Double, exact: Double) -> Double { abs(dh) * 0x1p-23 + abs(exact) * 0x1p-22 }
    /// The loss of one row: the sum of the exponentials is rounded once per term in 16 float
    /// lanes, so its relative error, and so the absolute error of its log, grows with the row
    /// (measured: 2.5e-7 at 8,800 columns, 2.3e-8 below 100).
    static func rowLoss(columns: Int) -> Double { 1e-7 + 2e-10 * Double(columns) }
    /// One gradient entry (softmax − one-hot) · scale: relative to softmax, plus an ulp of scale
    /// where the one-hot is subtracted.
    static func gradient(softmax: Double, scale: Double, columns: Int) -> Double {
        abs(scale) * ((4e-7 + 1e-9 * Double(columns)) * softmax + 0x1p-23)
    }
}

/// The size of an ulp at the exact value `x`: the spacing of floats in x's binade.
private func ulp(_ x: Double) -> Double {
    let exponent = max(Double(abs(x)).exponent, -126)
    return Double(sign: .plus, exponent: exponent - 23, significand: 1)
}

/// How many ulps `y` is from the exact `exact` (0 for matching NaNs and infinities).
private func ulps(_ y: Float, _ exact: Double) -> Double {
    if exact.isNaN { return y.isNaN ? 0 : .infinity }
    if y.isNaN { return .infinity }
    if Float(exact).isInfinite || y.isInfinite { return Float(exact) == y ? 0 : .infinity }
    return abs(Double(y) - exact) / ulp(exact)
}

/// −log softmax(row)[target] and softmax(row), in Double.
private func referenceCrossEntropy(_ row: ArraySlice<Float>, target: Int) -> (loss: Double, softmax: [Double]) {
    let x = row.map(Double.init)
    let m = x.max()!
    let logSum = m + log(x.map { exp($0 - m) }.reduce(0, +))
    return (logSum - x[target], x.map { exp($0 - logSum) })
}

@Suite("Pointwise kernels against Float64")
struct PointwiseKernelTests {
    /// Every 509th float from 0 to 20 (two million values, every exponent), both signs; every
    /// float near the switch from polynomial to exponential (0.55), near the worst case found by
    /// an exhaustive run (1.25) and where tanh rounds to 1 (9); and special values.
    static let tanhInputs: [Float] = {
        var bits: [UInt32] = Array(stride(from: 0, through: Float(20).bitPattern, by: 509))
        for center: Float in [0.55, 1.25, 9.0] {
            bits += (center.bitPattern - 4096)...(center.bitPattern + 4096)
        }
        let positive = bits.map(Float.init(bitPattern:))
        let special: [Float] = [
            .infinity, .greatestFiniteMagnitude, 1e30, 88, 44, 10, 1, .leastNonzeroMagnitude,
            .leastNormalMagnitude, 1e-20,
        ]
        return positive + positive.map { -$0 } + special + special.map { -$0 }
    }()

    @Test(arguments: KernelSet.supported)
    func tanhIsWithinTwoULPs(kernels: KernelSet) {
        var y = Self.tanhInputs
        tanhInPlace(&y, count: y.count, kernels: kernels)
        var worst = 0.0, worstInput: Float = 0
        for (x, h) in zip(Self.tanhInputs, y) {
            let error = ulps(h, tanh(Double(x)))
            if error > worst { (worst, worstInput) = (error, x) }
        }
        #expect(worst <= Allowed.tanhULPs, "\(kernels): \(worst) ulps at x = \(worstInput)")
    }

    @Test(arguments: KernelSet.supported)
    func tanhSpecialValues(kernels: KernelSet) {
        let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -1e-30, 1e38]
        var y = x
        tanhInPlace(&y, count: y.count, kernels: kernels)
        #expect(y[0] == 0 && y[0].sign == .plus)
        #expect(y[1] == 0 && y[1].sign == .minus)
        #expect(y[2] == 1 && y[3] == -1)
        #expect(y[4].isNaN && y[5].isNaN)
        #expect(y[6] == .leastNonzeroMagnitude && y[7] == -1e-30)  // tanh x = x for tiny x
        #expect(y[8] == 1)
    }

    /// Lengths around the vector width: the tail is computed apart and must not write past it.
    @Test(arguments: KernelSet.supported)
    func tanhTailsAndStrides(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 11)
        for count in 0...40 {
            let x = (0..<count).map { _ in rng.uniform(-4, 4) }
            var buffer = [Float](repeating: 7, count: count + 20)
            buffer.withUnsafeMutableBufferPointer { b in
                (b.baseAddress! + 3).update(from: x, count: count)
                tanhInPlace(b.baseAddress! + 3, count: count, kernels: kernels)
            }
            #expect(buffer[..<3].allSatisfy { $0 == 7 } && buffer[(count + 3)...].allSatisfy { $0 == 7 })
            for i in 0..<count { #expect(ulps(buffer[i + 3], tanh(Double(x[i]))) <= Allowed.tanhULPs) }
        }
    }

    /// σ through tanh: within 2e-7 absolute of Float64 over the inputs of the tanh test halved
    /// and doubled (the gates see everything), 0 and 1 at the ends, ½ at 0.
    @Test(arguments: KernelSet.supported)
    func sigmoidIsWithinTwoTenMillionthsAbsolute(kernels: KernelSet) {
        let finite: [Float] = Self.tanhInputs.filter { $0.isFinite }
        let x: [Float] = finite.flatMap { (v: Float) -> [Float] in [v * 0.5, v * 2] } + [0, 200, -200]
        var y = x
        sigmoidInPlace(&y, count: y.count, kernels: kernels)
        var worst = 0.0, worstInput: Float = 0
        for (input, s) in zip(x, y) {
            let exact: Double = 1 / (1 + exp(-Double(input)))
            let error: Double = abs(Double(s) - exact)
            if !(error <= worst) { (worst, worstInput) = (error, input) }
        }
        #expect(worst <= 2e-7, "\(kernels): \(worst) at x = \(worstInput)")
        #expect(y[y.count - 3] == 0.5 && y[y.count - 2] == 1 && y[y.count - 1] == 0)
    }

    @Test func tanhBackwardMatchesFloat64() {
        var rng = SeededGenerator(seed: 12)
        for count in [1, 7, 16, 17, 1000] {
            let dh = (0..<count).map { _ in rng.uniform(-3, 3) }
            var h = (0..<count).map { _ in rng.uniform(-1, 1) }
            h[0] = 1
            if count > 1 { h[1] = 0.99999994 }
            var out = [Float](repeating: .nan, count: count + 5)
            tanhBackward(dh, h, &out, count: count)
            for i in 0..<count {
                let exact = Double(dh[i]) * (1 - Double(h[i]) * Double(h[i]))
                #expect(abs(Double(out[i]) - exact) <= Allowed.tanhBackward(dh: Double(dh[i]), exact: exact),
                        "count \(count) [\(i)]: \(out[i]) vs \(exact)")
            }
            #expect(out[count...].allSatisfy { $0.isNaN })
        }
    }

    /// Logit rows of awkward lengths: uniform, shifted far from 0, so spread that most exps
    /// underflow, and with −inf entries (masked columns).
    static func logitRows(columns: Int, _ rng: inout SeededGenerator) -> [[Float]] {
        let uniform = (0..<columns).map { _ in rng.uniform(-5, 5) }
        let shifted = uniform.map { $0 + 1000 }
        let spread = (0..<columns).map { _ in rng.uniform(-120, 20) }
        var masked = uniform
        for j in stride(from: 1, to: columns, by: 4) { masked[j] = -.infinity }
        return [uniform, shifted, spread, masked]
    }

    @Test(arguments: KernelSet.supported)
    func softmaxCrossEntropyMatchesFloat64(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 13)
        for columns in [1, 7, 8, 9, 15, 16, 17, 65, 8800] {
            let rows = Self.logitRows(columns: columns, &rng)
            let ldl = columns + 3  // a row stride past the row, to catch writes past it
            var logits = [Float](repeating: 42, count: rows.count * ldl)
            for (r, row) in rows.enumerated() { logits.replaceSubrange((r * ldl)..<(r * ldl + columns), with: row) }
            // Targets on unmasked columns (even j is never masked).
            let evenColumns = UInt64((columns + 1) / 2)
            let targets: [Int32] = (0..<rows.count).map { _ in Int32(2 * (rng.next() % evenColumns)) }
            let scale: Float = 0.25
            var gradient = [Float](repeating: 42, count: logits.count)
            let loss = softmaxCrossEntropy(logits: logits, rows: rows.count, columns: columns, ldl: ldl,
                                           targets: targets, gradient: &gradient, scale: scale, kernels: kernels)
            let lossOnly = softmaxCrossEntropy(logits: logits, rows: rows.count, columns: columns, ldl: ldl,
                                               targets: targets, gradient: nil, scale: scale, kernels: kernels)
            #expect(loss == lossOnly)
            var expected = 0.0
            var worstGradient = 0.0
            for r in 0..<rows.count {
                let t = Int(targets[r])
                let (rowLoss, softmax) = referenceCrossEntropy(logits[(r * ldl)..<(r * ldl + columns)], target: t)
                expected += rowLoss
                let alone = softmaxCrossEntropy(logits: Array(logits[(r * ldl)..<(r * ldl + columns)]), rows: 1,
                                                columns: columns, ldl: columns, targets: [targets[r]], gradient: nil,
                                                scale: 1, kernels: kernels)
                #expect(abs(alone - rowLoss) <= Allowed.rowLoss(columns: columns),
                        "\(kernels) columns \(columns) row \(r): loss \(alone) vs \(rowLoss)")
                for j in 0..<columns {
                    let exact = Double(scale) * (softmax[j] - (j == t ? 1 : 0))
                    let error = abs(Double(gradient[r * ldl + j]) - exact)
                    let allowed = Allowed.gradient(softmax: softmax[j], scale: Double(scale), columns: columns)
                    worstGradient = max(worstGradient, error / allowed)
                }
                #expect(gradient[(r * ldl + columns)..<(r * ldl + ldl)].allSatisfy { $0 == 42 })
            }
            #expect(worstGradient <= 1, "\(kernels) columns \(columns): gradient error \(worstGradient) of allowed")
            #expect(abs(loss - expected) <= Double(rows.count) * Allowed.rowLoss(columns: columns))

            // The gradient written over the logits, as training does, is the same.
            var aliased = logits
            let aliasedLoss = aliased.withUnsafeMutableBufferPointer { p in
                softmaxCrossEntropy(logits: p.baseAddress!, rows: rows.count, columns: columns, ldl: ldl,
                                    targets: targets, gradient: p.baseAddress!, scale: scale, kernels: kernels)
            }
            #expect(aliasedLoss == loss)
            #expect(zip(aliased, gradient).allSatisfy { $0.bitPattern == $1.bitPattern })
        }
    }

    @Test(arguments: KernelSet.supported)
    func softmaxCrossEntropyOfExtremeRows(kernels: KernelSet) {
        // A row at ±1e30 (its exp(x − max) is 0 or 1), and a NaN, which must not vanish.
        let logits: [Float] = [1e30, -1e30, 0, 1, .nan, 2]
        var gradient = [Float](repeating: 0, count: 6)
        let huge = softmaxCrossEntropy(logits: logits, rows: 1, columns: 3, ldl: 3, targets: [1],
                                       gradient: &gradient, scale: 1, kernels: kernels)
        #expect(huge == 2 * Double(Float(1e30)))
        #expect(gradient[..<3] == [1, -1, 0])
        let top = softmaxCrossEntropy(logits: logits, rows: 1, columns: 3, ldl: 3, targets: [0],
                                      gradient: nil, scale: 1, kernels: kernels)
        #expect(top == 0)
        let withNaN = logits.withUnsafeBufferPointer { p in
            softmaxCrossEntropy(logits: p.baseAddress! + 3, rows: 1, columns: 3, ldl: 3, targets: [0],
                                gradient: nil, scale: 1, kernels: kernels)
        }
        #expect(withNaN.isNaN)
    }

    @Test(arguments: KernelSet.supported)
    func logSoftmaxMatchesFloat64(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 14)
        for columns in [1, 9, 65, 8800] {
            let logits = (0..<columns).map { _ in rng.uniform(-10, 10) }
            var out = [Float](repeating: 0, count: columns)
            logSoftmax(logits, count: columns, into: &out, kernels: kernels)
            let logSum = referenceCrossEntropy(logits[...], target: 0).loss + Double(logits[0])
            for j in 0..<columns {
                let exact = Double(logits[j]) - logSum
                #expect(abs(Double(out[j]) - exact) <= Allowed.rowLoss(columns: columns) + abs(exact) * 0x1p-23)
            }
        }
    }

    /// A fixed input gives the same bits on every call (training runs are reproducible).
    @Test(arguments: KernelSet.supported)
    func resultsAreDeterministic(kernels: KernelSet) {
        var rng = SeededGenerator(seed: 15)
        let logits = (0..<(3 * 8800)).map { _ in rng.uniform(-8, 8) }
        let targets: [Int32] = [5, 8799, 0]
        var first = [Float](repeating: 0, count: logits.count), second = first
        let a = softmaxCrossEntropy(logits: logits, rows: 3, columns: 8800, ldl: 8800, targets: targets,
                                    gradient: &first, scale: 0.1, kernels: kernels)
        let b = softmaxCrossEntropy(logits: logits, rows: 3, columns: 8800, ldl: 8800, targets: targets,
                                    gradient: &second, scale: 0.1, kernels: kernels)
        #expect(a.bitPattern == b.bitPattern && first == second)
        var x = logits, y = logits
        tanhInPlace(&x, count: x.count, kernels: kernels)
        tanhInPlace(&y, count: y.count, kernels: kernels)
        #expect(x == y)
    }
}
