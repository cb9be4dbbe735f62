// MARK: - Eight floats at a time, for the loops that the compiler does not vectorise

/// Unaligned loads and stores of eight floats. A loop written on them does each lane's
/// arithmetic in the order the scalar loop does (Swift fuses no multiply-add), so its results
/// are the scalar loop's, bit for bit.
enum Lanes {
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(p)) }
    static func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }
}
