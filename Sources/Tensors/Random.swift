import Foundation

/// A seeded pseudo-random generator: xoshiro256** (Blackman & Vigna 2018) with its state filled
/// by SplitMix64 from the seed. Every draw below is defined bit-for-bit from the 64-bit outputs,
/// so a seed gives the same numbers on every machine.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The 256-bit state (save it to resume a run exactly).
    public private(set) var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// A generator continuing from a saved state (`s0...s3`), which must not be all zero.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "RandomGenerator(state:): need four words, not all zero")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The state as four words, for checkpoints.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1): the top 24 bits of one output, scaled by 2⁻²⁴.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:): bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// Standard normal by Box–Muller on two 53-bit uniforms (computed in Double), one per call.
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates, from the last position down).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 {
            p.swapAt(i, nextInt(below: i + 1))
            i -= 1
        }
        return p
    }
}

extension Tensor {
    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let scale = high - low
        return Tensor(shape: shape, storage: (0..<shape.product).map { _ in low + scale * rng.nextUniform() })
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.product).map { _ in mean + std * rng.nextNormal() })
    }

    /// Bernoulli samples: 1 with probability `p`, else 0 (a uniform draw below `p`).
    public static func bernoulli(_ shape: [Int], probability p: Float, using rng: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.product).map { _ in rng.nextUniform() < p ? 1 : 0 })
    }

    /// A random permutation of `0..<n` as a rank-1 tensor.
    public static func randomPermutation(_ n: Int, using rng: inout RandomGenerator) -> Tensor {
        Tensor(rng.permutation(n).map(Float.init))
    }
}
