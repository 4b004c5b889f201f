import Testing
@testable import NN

@Suite("F16 and BF16 conversions")
struct HalfPrecisionTests {
    /// A fixed pseudo-random stream of Float bit patterns (64-bit LCG, high bits).
    static func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
        }
    }

    @Test func everyF16PatternWidensLikeTheStandardLibrary() {
        for pattern in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: pattern))
            let ours = HalfPrecision.float(fromF16: pattern)
            if reference.isNaN {
                #expect(ours.isNaN, "pattern \(pattern)")
            } else {
                #expect(ours.bitPattern == reference.bitPattern, "pattern \(pattern)")
                #expect(HalfPrecision.f16Bits(ours) == pattern, "round trip of pattern \(pattern)")
            }
        }
    }

    @Test func f16NarrowingMatchesTheStandardLibrary() {
        let specials: [Float] = [65504, 65519.996, 65520, 65536, 1e-8, 0x1p-25, 0x1p-25 + 0x1p-40, 0x1.8p-24, 0x1p-14 - 0x1p-25,
                                 1 + 0x1p-11, 1 + 3 * 0x1p-11, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0]
        for x in specials + Self.randomFloats(500_000, seed: 1) + Self.randomFloats(200_000, seed: 2).map({ $0 * 0x1p-100 }) where !x.isNaN {
            #expect(HalfPrecision.f16Bits(x) == Float16(x).bitPattern, "\(x)")
        }
    }

    @Test func f16NaNStaysNaN() {
        for pattern: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFFFF_FFFF, 0x7F80_2000] {
            let half = HalfPrecision.f16Bits(Float(bitPattern: pattern))
            #expect(half & 0x7C00 == 0x7C00 && half & 0x3FF != 0, "\(pattern)")
        }
    }

    /// Reference bfloat16 rounding of a finite `x`: the nearer of its two bfloat16 neighbours by
    /// exact Double arithmetic, the one with an even last bit on a tie.
    static func referenceBF16(_ x: Float) -> UInt16 {
        let low = UInt16(truncatingIfNeeded: x.bitPattern >> 16)
        let high = low + 1
        let lowValue = Double(referenceBF16Value(low))
        // Past the largest finite value the next step would be 2^128, which is where infinity begins.
        let highValue = high & 0x7F80 == 0x7F80 ? (x < 0 ? -0x1p128 : 0x1p128) : referenceBF16Value(high)
        let (dLow, dHigh) = (abs(Double(x) - lowValue), abs(highValue - Double(x)))
        return dLow < dHigh || (dLow == dHigh && low & 1 == 0) ? low : high
    }

    /// The value of a finite bfloat16 pattern from its fields: sign, 8-bit exponent, 7-bit fraction.
    static func referenceBF16Value(_ pattern: UInt16) -> Double {
        let sign: Double = pattern & 0x8000 == 0 ? 1 : -1
        let exponent = Int(pattern >> 7) & 0xFF
        let fraction = Double(pattern & 0x7F) / 128
        return exponent == 0 ? sign * fraction * 0x1p-126 : sign * (1 + fraction) * Double(sign: .plus, exponent: exponent - 127, significand: 1)
    }

    @Test func bf16NarrowingRoundsToNearestEven() {
        let specials: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, 3.4e38, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 Float(bitPattern: 0x0001_8000), Float(bitPattern: 0x0000_8000), -0.0]
        for x in specials + Self.randomFloats(500_000, seed: 3) where x.isFinite {
            #expect(HalfPrecision.bf16Bits(x) == Self.referenceBF16(x), "\(x) \(x.bitPattern)")
        }
        #expect(HalfPrecision.bf16Bits(.infinity) == 0x7F80 && HalfPrecision.bf16Bits(-.infinity) == 0xFF80)
        #expect(HalfPrecision.bf16Bits(.nan).isBF16NaN && HalfPrecision.bf16Bits(Float(bitPattern: 0x7F80_0001)).isBF16NaN)
    }

    @Test func everyBF16PatternWidensExactlyAndRoundTrips() {
        for pattern in 0...UInt16.max {
            let x = HalfPrecision.float(fromBF16: pattern)
            if pattern & 0x7F80 == 0x7F80 {
                #expect(pattern & 0x7F == 0 ? x.isInfinite : x.isNaN)
            } else {
                #expect(Double(x) == Self.referenceBF16Value(pattern), "pattern \(pattern)")
                #expect(HalfPrecision.bf16Bits(x) == pattern)
            }
        }
    }
}

private extension UInt16 {
    var isBF16NaN: Bool { self & 0x7F80 == 0x7F80 && self & 0x7F != 0 }
}
