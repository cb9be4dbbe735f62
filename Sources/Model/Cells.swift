// MARK: - The pointwise parts of the Elman, LSTM and GRU cells, forward and backward
//
// The matrix products of a step are the workspace's; these functions take the summed
// pre-activations of B streams at one step and do everything elementwise, in PyTorch's gate
// order. Rows are one stream each: G·H gates wide, or H wide for states.

import Tensor

/// `nn.RNN(nonlinearity="tanh")`, one step of B streams (G = 1):
///
///     h_t = tanh(a)     a = W_ih x + b_ih + W_hh h_{t−1} + b_hh
enum ElmanCell {
    /// - Parameters:
    ///   - hidden: B × H; in: the pre-activations a; out: h_t.
    static func forward(hidden: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int) {
        tanhInPlace(hidden, count: b * h)
    }

    /// The adjoint of `forward`.
    ///
    /// - Parameters:
    ///   - hiddenGradient: dL/dh_t (B × H).
    ///   - hidden: h_t, as `forward` left it.
    ///   - preGradient: receives dL/da (B × H).
    static func backward(
        hiddenGradient dh: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
        preGradient: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int
    ) {
        tanhBackward(dh, hidden, preGradient, count: b * h)
    }
}

/// `nn.LSTM`, one step of B streams:
///
///     i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)     a = W_ih x + b_ih + W_hh h + b_hh
///     c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
enum LSTMCell {
    /// - Parameters:
    ///   - gates: B × 4H; in: the pre-activations a; out: i, f, g, o.
    ///   - previousCell: c_{t−1}, B × H.
    ///   - cell: receives c_t; `cellTanh` receives tanh(c_t); `hidden` receives h_t (all B × H).
    static func forward(
        gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
        cellTanh: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int
    ) {
        for s in 0..<b {
            let row = gates + s * 4 * h
            sigmoidInPlace(row, count: 2 * h)  // i, f
            tanhInPlace(row + 2 * h, count: h)  // g
            sigmoidInPlace(row + 3 * h, count: h)  // o
            let cPrevious = previousCell + s * h, c = cell + s * h
            for j in 0..<h { c[j] = row[h + j] * cPrevious[j] + row[j] * row[2 * h + j] }
        }
        cellTanh.update(from: cell, count: b * h)
        tanhInPlace(cellTanh, count: b * h)
        for s in 0..<b {
            let o = gates + s * 4 * h + 3 * h, tc = cellTanh + s * h, out = hidden + s * h
            for j in 0..<h { out[j] = o[j] * tc[j] }
        }
    }

    /// The adjoint of `forward`.
    ///
    /// - Parameters:
    ///   - hiddenGradient: dL/dh_t (B × H).
    ///   - cellGradient: in: dL/dc_t from step t + 1; out: dL/dc_{t−1} through f.
    ///   - gates, previousCell, cellTanh: as `forward` left them.
    ///   - gateGradient: receives dL/da (B × 4H).
    static func backward(
        hiddenGradient dh: UnsafePointer<Float>, cellGradient dc: UnsafeMutablePointer<Float>,
        gates: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, cellTanh: UnsafePointer<Float>,
        gateGradient: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int
    ) {
        for s in 0..<b {
            let row = gates + s * 4 * h, d = gateGradient + s * 4 * h
            let dhs = dh + s * h, dcs = dc + s * h, tc = cellTanh + s * h, cPrevious = previousCell + s * h
            for j in 0..<h {
                let i = row[j], f = row[h + j], g = row[2 * h + j], o = row[3 * h + j], t = tc[j]
                let dCell = dcs[j] + dhs[j] * o * (1 - t * t)
                d[j] = dCell * g * i * (1 - i)
                d[h + j] = dCell * cPrevious[j] * f * (1 - f)
                d[2 * h + j] = dCell * i * (1 - g * g)
                d[3 * h + j] = dhs[j] * t * o * (1 - o)
                dcs[j] = dCell * f
            }
        }
    }
}

/// `nn.GRU`, one step of B streams (b_hn inside the reset product, as PyTorch):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
enum GRUCell {
    /// - Parameters:
    ///   - inputGates: B × 3H; in: W_ih x + b_ih; out: r, z, n.
    ///   - hiddenGates: B × 3H: W_hh h_{t−1} + b_hh (kept: backward needs its n part).
    ///   - previous: h_{t−1}; `hidden` receives h_t (B × H).
    static func forward(
        inputGates x: UnsafeMutablePointer<Float>, hiddenGates hh: UnsafePointer<Float>,
        previous: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int
    ) {
        for s in 0..<b {
            let row = x + s * 3 * h, hr = hh + s * 3 * h
            for j in 0..<(2 * h) { row[j] += hr[j] }
            sigmoidInPlace(row, count: 2 * h)  // r, z
            for j in 0..<h { row[2 * h + j] += row[j] * hr[2 * h + j] }
            tanhInPlace(row + 2 * h, count: h)  // n
            let p = previous + s * h, out = hidden + s * h
            for j in 0..<h {
                let z = row[h + j], n = row[2 * h + j]
                out[j] = (1 - z) * n + z * p[j]
            }
        }
    }

    /// The adjoint of `forward`.
    ///
    /// - Parameters:
    ///   - hiddenGradient: in: dL/dh_t; out: the part of dL/dh_{t−1} that flows through z ⊙ h_{t−1}
    ///     (the part through W_hh is the caller's product).
    ///   - inputGradient: receives dL/d(W_ih x + b_ih) (B × 3H).
    ///   - hiddenGateGradient: receives dL/d(W_hh h + b_hh) (B × 3H): as `inputGradient`, but the
    ///     n part times r.
    static func backward(
        hiddenGradient dh: UnsafeMutablePointer<Float>, gates: UnsafePointer<Float>, hiddenGates hh: UnsafePointer<Float>,
        previous: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
        hiddenGateGradient dhh: UnsafeMutablePointer<Float>, batch b: Int, hiddenSize h: Int
    ) {
        for s in 0..<b {
            let row = gates + s * 3 * h, hn = hh + s * 3 * h + 2 * h
            let dxs = dx + s * 3 * h, dhs = dhh + s * 3 * h, d = dh + s * h, p = previous + s * h
            // Eight units at a time (the same arithmetic as the loop below, lane by lane), then
            // the rest one at a time.
            var j0 = 0
            while j0 + 8 <= h {
                let r = Lanes.load(row + j0), z = Lanes.load(row + h + j0), n = Lanes.load(row + 2 * h + j0)
                let g = Lanes.load(d + j0)
                let dn = g * (1 - z) * (1 - n * n)
                let dr = dn * Lanes.load(hn + j0) * r * (1 - r)
                let dz = g * (Lanes.load(p + j0) - n) * z * (1 - z)
                Lanes.store(dr, dxs + j0)
                Lanes.store(dz, dxs + h + j0)
                Lanes.store(dn, dxs + 2 * h + j0)
                Lanes.store(dr, dhs + j0)
                Lanes.store(dz, dhs + h + j0)
                Lanes.store(dn * r, dhs + 2 * h + j0)
                Lanes.store(g * z, d + j0)
                j0 += 8
            }
            for j in j0..<h {
                let r = row[j], z = row[h + j], n = row[2 * h + j], g = d[j]
                let dn = g * (1 - z) * (1 - n * n)
                let dr = dn * hn[j] * r * (1 - r)
                let dz = g * (p[j] - n) * z * (1 - z)
                dxs[j] = dr
                dxs[h + j] = dz
                dxs[2 * h + j] = dn
                dhs[j] = dr
                dhs[h + j] = dz
                dhs[2 * h + j] = dn * r
                d[j] = g * z
            }
        }
    }
}
