// The Tensor module: dense float32 storage and the products and pointwise kernels an RNN needs.
//
// Matrices are row-major in flat storage and are passed as pointers with a row stride ("leading
// dimension"), as BLAS does, so that a model can keep all its parameters in one block and hand
// out views of it. Every fast kernel has a plain reference kernel beside it (`Reference`), which
// the tests use as the oracle. The fast matrix product packs its right operand and runs a C
// micro-kernel compiled for the CPU's instruction set (see `KernelSet`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 storage allocated once, zero-filled and 64-byte aligned, freed with its owner.
///
/// The model keeps parameters, gradients and optimizer moments each in one `FloatBuffer` with
/// the same layout, so an optimizer is one loop and a checkpoint one copy.
public final class FloatBuffer: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// Allocates `count` zeros.
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// Allocates a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// All elements as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// A copy of the elements.
    public var array: [Float] { Array(buffer) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}
