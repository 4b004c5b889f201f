/// Conversion between raw little-endian element bytes and `Float`s for each dtype.
extension SafetensorsDType {
    /// The elements stored in `bytes` (whose count is a multiple of `byteSize`), widened or
    /// rounded to `Float`: F16 and BF16 exactly, F64 to nearest.
    func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        let count = bytes.count / byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .f32:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<count {
                    out[i] = HalfPrecision.float(fromF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<count {
                    out[i] = HalfPrecision.float(fromBF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .f64:
                for i in 0..<count {
                    out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
            initialized = count
        }
    }

    /// Writes `scalars` in this dtype, little-endian, into `out` (`scalars.count * byteSize` bytes):
    /// F16 and BF16 round to nearest even, F64 is exact.
    func encode(_ scalars: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
        switch self {
        case .f32:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: HalfPrecision.f16Bits(x).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: HalfPrecision.bf16Bits(x).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .f64:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: Double(x).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
        }
    }
}
