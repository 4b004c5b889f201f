/// Bit-level conversions between `Float` and the 16-bit formats IEEE binary16 (F16) and
/// bfloat16 (BF16). Widening is exact; narrowing rounds to nearest, ties to even.
public enum HalfPrecision {
    /// The `Float` equal to the binary16 value with bit pattern `bits` (subnormals, ±inf and NaN included).
    public static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// The binary16 bit pattern nearest to `value` (ties to even); overflow gives ±inf and NaN stays NaN.
    public static func f16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int(bits >> 23) & 0xFF
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: mantissa >> 13))
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal result: count units of 2^-24 in the 24-bit significand, then round.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            return sign | UInt16(roundedShift(significand, by: shift))
        }
        let truncated = UInt32(halfExponent) << 10 | mantissa >> 13
        let remainder = mantissa & 0x1FFF
        let roundUp = remainder > 0x1000 || (remainder == 0x1000 && truncated & 1 == 1)
        return sign | UInt16(truncated + (roundUp ? 1 : 0))
    }

    /// The `Float` equal to the bfloat16 value with bit pattern `bits`.
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even); NaN stays a (quiet) NaN.
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits + 0x7FFF + (bits >> 16 & 1)) >> 16)
    }

    /// `value >> shift` rounded to nearest, ties to even (`1 <= shift <= 31`).
    private static func roundedShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & (1 << shift - 1)
        let half: UInt32 = 1 << (shift - 1)
        return truncated + (remainder > half || (remainder == half && truncated & 1 == 1) ? 1 : 0)
    }
}
