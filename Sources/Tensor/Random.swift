// MARK: - A seedable random number generator

/// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, and seedable, so that a fixed
/// `--rng-seed` reproduces a run bit for bit. The state is `Codable` so training can resume it.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four state words.
    public private(set) var state: [UInt64]

    /// A generator whose state is filled from `seed` by SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var x = seed
        state = (0..<4).map { _ in
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotate(state[3], 45)
        return result
    }

    /// A float uniform in [low, high), from the top 24 bits of one draw.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * (Float(next() >> 40) * 0x1p-24)
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
