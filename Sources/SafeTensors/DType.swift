// MARK: - Element types

/// An element type named in a safetensors header, with its size.
///
/// The raw values are the header's spellings. The list follows the reference implementation
/// (huggingface/safetensors), so a file holding any of its types can be read and checked even
/// though charrnn computes with F32 only.
public enum DType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64", c64 = "C64"
    case f4 = "F4", f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2"

    /// Bits per element (4 and 6 for the packed micro-float types).
    public var bitWidth: Int {
        switch self {
        case .f4: 4
        case .f6e2m3, .f6e3m2: 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .i64, .u64, .f64, .c64: 64
        }
    }

    /// The bytes `count` elements take, or `nil` if that overflows `Int` or is not a whole
    /// number of bytes (possible for the packed types only).
    public func byteCount(elements count: Int) -> Int? {
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}

// MARK: - Shapes

/// The number of elements of a tensor of shape `shape` (1 for a scalar `[]`), or `nil` if a
/// dimension is negative or the product overflows `Int`.
func elementCount(of shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard !overflow else { return nil }
        count = product
    }
    return count
}
