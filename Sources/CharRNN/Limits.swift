// MARK: - Sizes a run may ask for, and whether it fits in this machine's memory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest sizes charrnn accepts, checked before anything is allocated or multiplied, so that
/// no argument can overflow an index or ask for an absurd allocation. Generous: each is far above
/// what trains in reasonable time on a CPU. Within them, a run must also fit in memory
/// (`MemoryNeed`).
public enum Limits {
    /// Units per layer.
    public static let hiddenSize = 65_536
    /// Stacked layers.
    public static let layers = 64
    /// Streams (text) or names per batch.
    public static let batchSize = 65_536
    /// Steps of backpropagation through time.
    public static let sequenceLength = 65_536
    /// Threads a batch is split across.
    public static let threads = 1_024
    /// Letters in a vocabulary.
    public static let vocabulary = 1_000_000
    /// Samples drawn at once by `generate`.
    public static let samples = 10_000
}

/// The memory a run will need, computed with overflow checks from the sizes it was given.
public struct MemoryNeed: Sendable {
    /// Bytes, or nil when the count overflows (far beyond any machine).
    public var bytes: Int?

    /// Parameters of a network of `shape` (nil on overflow).
    static func parameters(_ shape: NetworkShape) -> Int? {
        let g = shape.cell.gateCount, h = shape.hiddenSize
        if shape.cell == .tutorial {  // i2h and i2o over [x, h]: (H + Out)(In + H + 1)
            return h.adding(shape.outputSize).flatMap { rows in shape.inputSize.adding(h)?.adding(1).flatMap { rows.times($0) } }
        }
        var total = 0
        for layer in 0..<shape.layers {
            let input = layer == 0 ? shape.inputSize : h
            guard let width = input.adding(h)?.adding(2), let rows = g.times(h), let count = rows.times(width),
                let sum = total.adding(count) else { return nil }
            total = sum
        }
        if let adaptive = shape.adaptiveSoftmax {
            return adaptive.parameterCount(hiddenSize: h, vocabularySize: shape.outputSize).flatMap { total.adding($0) }
        }
        return shape.outputSize.times(h.adding(1) ?? -1).flatMap { total.adding($0) }
    }

    /// Floats of a workspace for `batch` streams × `steps` steps (its buffers, and packed
    /// weights).
    static func workspace(_ shape: NetworkShape, batch: Int, steps: Int) -> Int? {
        let g = shape.cell.gateCount, h = shape.hiddenSize, v = shape.outputSize, l = shape.layers
        guard let rows = steps.adding(1)?.times(batch), let perLayer = (3 * g + 3).times(h)?.times(l),
            let perRow = perLayer.adding(v)?.adding((3 * g + 2).times(h) ?? -1), let buffers = rows.times(perRow),
            let heads = batch.times(v.adding(4.times(h) ?? -1) ?? -1), let p = parameters(shape)
        else { return nil }
        return buffers.adding(heads)?.adding(p)
    }

    /// Training: the parameters, Adam's two moments, a gradient per thread, each thread's
    /// workspace for its share of the batch, and the validation workspace.
    public static func training(_ shape: NetworkShape, batch: Int, steps: Int, threads: Int) -> MemoryNeed {
        let threads = max(1, min(threads, batch))
        guard let p = parameters(shape), let vectors = p.times(3.adding(threads) ?? -1),
            let share = workspace(shape, batch: (batch + threads - 1) / threads, steps: steps),
            let workspaces = share.times(threads), let validation = workspace(shape, batch: batch, steps: steps),
            let floats = vectors.adding(workspaces)?.adding(validation)
        else { return MemoryNeed(bytes: nil) }
        return MemoryNeed(bytes: floats.times(4))
    }

    /// Generation: the network, and a workspace of one step for `samples` streams.
    public static func generation(_ shape: NetworkShape, samples: Int) -> MemoryNeed {
        guard let p = parameters(shape), let w = workspace(shape, batch: samples, steps: 1), let floats = p.adding(w) else {
            return MemoryNeed(bytes: nil)
        }
        return MemoryNeed(bytes: floats.times(4))
    }

    /// Throws when the need is beyond this machine's memory, saying how much it needs and
    /// what to lower.
    public func check(what: String, advice: String) throws {
        let available = physicalMemory()
        guard let bytes, bytes <= available else {
            throw CharRNNError("\(what) needs \(bytes.map(Self.describe) ?? "more memory than any machine has")"
                + "; this machine has \(Self.describe(available)): \(advice)")
        }
    }

    static func describe(_ bytes: Int) -> String {
        let gb = Double(bytes) / 1_073_741_824
        if gb >= 1 { return gb >= 100 ? "\(Int(gb.rounded())) GB" : "\((gb * 10).rounded() / 10) GB" }
        return "\(max(1, bytes / 1_048_576)) MB"
    }
}

/// The machine's memory in bytes.
func physicalMemory() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return Int.max }
    return pages.times(size) ?? Int.max
}

extension Int {
    /// The sum, or nil on overflow (or when either is negative: a failed step before).
    func adding(_ other: Int) -> Int? {
        guard self >= 0, other >= 0 else { return nil }
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }

    /// The product, or nil on overflow (or when either is negative).
    func times(_ other: Int) -> Int? {
        guard self >= 0, other >= 0 else { return nil }
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
}
