// The SafeTensors module: the safetensors file format, read with every check and written
// atomically. It knows nothing about charrnn's models; the Model module gives tensor names and
// the "__metadata__" entries their meaning.
//
// Layout of a file (all integers little-endian):
//   8 bytes   N, the header length (UInt64)
//   N bytes   a UTF-8 JSON object, padded with spaces:
//             {"__metadata__": {"key": "value", ...},
//              "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   the rest  the data buffer; each tensor's bytes are data[begin..<end], row-major
// The tensors, ordered by offset, must tile the data buffer exactly: no gaps, no overlaps, no
// bytes after the last one.

// MARK: - A tensor in a file

/// One tensor of a safetensors file: its element type, shape and raw little-endian bytes.
public struct TensorEntry: Equatable, Sendable {
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first; `[]` is a scalar (one element).
    public let shape: [Int]
    /// The elements' bytes, row-major and little-endian, exactly `dtype` × elements long.
    public let bytes: [UInt8]

    /// The number of elements (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
}

// MARK: - A file of named tensors

/// The contents of a safetensors file: named tensors and string metadata.
///
/// Read a file with ``init(contentsOf:)`` (every size and offset is checked before it is
/// trusted), take tensors out with ``floats(_:shape:)``; or build one with ``init(metadata:)``
/// and ``add(_:shape:floats:)``, then ``write(to:)``.
///
/// ```swift
/// var file = SafeTensorsFile(metadata: ["format": "pt"])
/// file.add("decoder.bias", shape: [3], floats: [0.5, -1, 2])
/// try file.write(to: "model.safetensors")
/// let weights = try SafeTensorsFile(contentsOf: "model.safetensors").floats("decoder.bias", shape: [3])
/// ```
public struct SafeTensorsFile: Sendable {
    /// The header's `__metadata__`: free-form strings by key.
    public var metadata: [String: String]
    /// The tensors by name.
    public private(set) var tensors: [String: TensorEntry]
    /// The path this was read from, named in error messages; `nil` when built or read from memory.
    public let source: String?

    /// The largest header accepted, in bytes (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    /// An empty file with `metadata`, to which tensors are added.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
        self.tensors = [:]
        self.source = nil
    }

    init(metadata: [String: String], tensors: [String: TensorEntry], source: String?) {
        self.metadata = metadata
        self.tensors = tensors
        self.source = source
    }

    /// The tensor names in byte order of their UTF-8 spelling: the order they are written in.
    public var names: [String] {
        tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: - Taking tensors out

    /// The tensor called `name`.
    ///
    /// - Throws: `SafeTensorsError.missingTensor` if there is none.
    public func tensor(_ name: String) throws(SafeTensorsError) -> TensorEntry {
        guard let entry = tensors[name] else { throw .missingTensor(file: source, name: name) }
        return entry
    }

    /// The elements of the F32 tensor called `name`, row-major.
    ///
    /// - Parameters:
    ///   - name: The tensor's name.
    ///   - expected: The shape the caller needs, or `nil` to accept any.
    /// - Returns: `elementCount` floats.
    /// - Throws: `SafeTensorsError.missingTensor`, `.dtypeMismatch` if the tensor is not F32, or
    ///   `.shapeMismatch` if its shape is not `expected`.
    /// - Complexity: One memory copy of the tensor's bytes.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        let entry = try tensor(name)
        guard entry.dtype == .f32 else { throw .dtypeMismatch(file: source, name: name, dtype: entry.dtype) }
        if let expected, expected != entry.shape {
            throw .shapeMismatch(file: source, name: name, expected: expected, actual: entry.shape)
        }
        let count = entry.bytes.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            entry.bytes.withUnsafeBytes { raw in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                #else
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
                #endif
            }
            initialized = count
        }
    }

    /// The elements of the F32 tensor called `name`, row-major, all of them finite.
    ///
    /// - Parameters:
    ///   - name: The tensor's name.
    ///   - expected: The shape the caller needs, or `nil` to accept any.
    /// - Returns: `elementCount` finite floats.
    /// - Throws: as ``floats(_:shape:)``, or `SafeTensorsError.nonFinite` naming the first
    ///   element that is a NaN or an infinity.
    /// - Complexity: One memory copy and one pass over the floats' bit patterns.
    public func finiteFloats(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        let values = try floats(name, shape: expected)
        if let offset = firstNonFinite(values) {
            let shape = tensors[name]!.shape
            var index = [Int](repeating: 0, count: shape.count)
            var rest = offset
            for axis in shape.indices.reversed() where shape[axis] > 0 {
                (rest, index[axis]) = rest.quotientAndRemainder(dividingBy: shape[axis])
            }
            throw .nonFinite(file: source, name: name, index: index, value: .init(values[offset])!)
        }
        return values
    }

    // MARK: - Building

    /// Adds (or replaces) an F32 tensor.
    ///
    /// - Parameters:
    ///   - name: The tensor's name; not `"__metadata__"`.
    ///   - shape: Its dimensions; `[]` for a scalar.
    ///   - floats: Its elements, row-major: as many as the product of `shape`.
    /// - Precondition: The name is allowed, dimensions are non-negative and `floats` has the
    ///   number of elements `shape` implies.
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        precondition(elementCount(of: shape) == floats.count,
                     "tensor \(name): shape \(shape) does not hold \(floats.count) elements")
        #if _endian(little)
        let bytes = floats.withUnsafeBytes { Array($0) }
        #else
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * floats.count)
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        #endif
        add(name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// Adds (or replaces) a tensor of any element type from its little-endian bytes.
    ///
    /// - Precondition: The name is not `"__metadata__"`, dimensions are non-negative and
    ///   `bytes` is exactly as long as `shape` and `dtype` imply.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(name != "__metadata__", "\"__metadata__\" cannot name a tensor")
        let size = elementCount(of: shape).flatMap { dtype.byteCount(elements: $0) }
        precondition(size == bytes.count, "tensor \(name): \(dtype.rawValue) \(shape) does not take \(bytes.count) bytes")
        tensors[name] = TensorEntry(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Removes the tensor called `name`, if there is one.
    public mutating func remove(_ name: String) {
        tensors[name] = nil
    }
}

/// The index of the first NaN or infinity in `values`: one pass over the bit patterns (all
/// exponent bits set), with no call per element.
func firstNonFinite(_ values: [Float]) -> Int? {
    values.withUnsafeBufferPointer { buffer -> Int? in
        buffer.withMemoryRebound(to: UInt32.self) { bits -> Int? in
            guard let base = bits.baseAddress else { return nil }
            let count = bits.count
            // Blocks of 64: one branch per block on the OR of the exponent tests.
            var start = 0
            while start < count {
                let end = min(start &+ 64, count)
                var any: UInt32 = 0
                var i = start
                while i < end {
                    any |= (base[i] & 0x7F80_0000 == 0x7F80_0000) ? 1 : 0
                    i &+= 1
                }
                if any != 0 {
                    for j in start..<end where base[j] & 0x7F80_0000 == 0x7F80_0000 { return j }
                }
                start = end
            }
            return nil
        }
    }
}
