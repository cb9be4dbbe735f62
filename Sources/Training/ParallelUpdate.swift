// MARK: - One optimizer update from per-thread gradients, shared out across the threads

import Dispatch
import Model
import Tensor

/// Sums the gradient blocks into the first, clips the sum and updates the weights, on `threads`
/// threads at once, each taking a share of the block.
///
/// The sum and the update are elementwise, and the global norm is summed in fixed pieces
/// (`GradientClipping.chunks`), so the weights come out the same whatever the number of threads
/// doing this part; the blocks are added in their order, as one thread would.
///
/// - Parameters:
///   - blocks: gradients of the same layout as `parameters`; the first receives the sum.
///   - rate: the learning rate of this update.
func sumClipAndUpdate(_ blocks: [FloatBuffer], parameters: FloatBuffer, optimizer: Optimizer, clipping: GradientClipping,
                      rate: Float, threads: Int) {
    let sum = blocks[0], others = Array(blocks.dropFirst())
    let chunks = GradientClipping.chunks(count: sum.count)
    let threads = max(1, min(threads, chunks.count))
    let shares = (0..<threads).map { ($0 * chunks.count / threads)..<(($0 + 1) * chunks.count / threads) }
    let squares = Slots(chunks.count)
    DispatchQueue.concurrentPerform(iterations: threads) { index in
        for c in shares[index] {
            let range = chunks[c], s = sum.pointer
            for block in others {
                let g = block.pointer
                for i in range { s[i] += g[i] }
            }
            squares[c] = GradientClipping.sumOfSquares(s, range)
        }
    }
    let norm = squares.values.reduce(0, +).squareRoot()
    let step = optimizer.beginUpdate(rate: rate)
    DispatchQueue.concurrentPerform(iterations: threads) { index in
        for c in shares[index] {
            clipping.apply(norm: norm, to: sum, range: chunks[c])
            optimizer.apply(step, parameters, sum, range: chunks[c])
        }
    }
}

/// Results of a parallel step, one slot per index, each written by one thread.
final class Slots: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Double>

    init(_ count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    subscript(index: Int) -> Double {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// Every slot, in index order.
    var values: [Double] { Array(storage) }
}
