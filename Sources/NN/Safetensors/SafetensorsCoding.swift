/// Conversion between raw little-endian element bytes and `Float`s for each dtype.
extension SafetensorsDType {
    /// The elements stored in `bytes` (whose count is a multiple of `byteSize`), widened or
    /// rounded to `Float`: F16 and BF16 exactly, F64 to nearest.
    func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        let count = bytes.count / byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            decode(bytes, into: out)
            initialized = count
        }
    }

    /// `decode(_:)` into `out`, which holds exactly `bytes.count / byteSize` elements.
    func decode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let count = bytes.count / byteSize
        precondition(out.count == count, "decode: \(count) elements into a buffer of \(out.count)")
        switch self {
        case .f32:
            if let source = bytes.baseAddress, let target = out.baseAddress, UInt32(littleEndian: 1) == 1 {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: 4 * count)
            } else {
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
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
        case .i64: for i in 0..<count { out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        case .i32: for i in 0..<count { out[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .i16: for i in 0..<count { out[i] = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .i8: for i in 0..<count { out[i] = Float(bytes.load(fromByteOffset: i, as: Int8.self)) }
        case .u8, .bool: for i in 0..<count { out[i] = Float(bytes[i]) }
        }
    }

    /// Writes `scalars` in this dtype, little-endian, into `out` (`scalars.count * byteSize` bytes):
    /// F16 and BF16 round to nearest even, F64 is exact.
    func encode(_ scalars: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
        switch self {
        case .f32:
            if let source = scalars.baseAddress, let target = out.baseAddress, UInt32(littleEndian: 1) == 1 {
                target.copyMemory(from: source, byteCount: 4 * scalars.count)
            } else {
                for (i, x) in scalars.enumerated() { out.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            }
        case .f16:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: HalfPrecision.f16Bits(x).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: HalfPrecision.bf16Bits(x).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .f64:
            for (i, x) in scalars.enumerated() { out.storeBytes(of: Double(x).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self) }
        case .i64: for (i, x) in scalars.enumerated() { out.storeBytes(of: Self.integer(x, Int64.self).littleEndian, toByteOffset: 8 * i, as: Int64.self) }
        case .i32: for (i, x) in scalars.enumerated() { out.storeBytes(of: Self.integer(x, Int32.self).littleEndian, toByteOffset: 4 * i, as: Int32.self) }
        case .i16: for (i, x) in scalars.enumerated() { out.storeBytes(of: Self.integer(x, Int16.self).littleEndian, toByteOffset: 2 * i, as: Int16.self) }
        case .i8: for (i, x) in scalars.enumerated() { out.storeBytes(of: Self.integer(x, Int8.self), toByteOffset: i, as: Int8.self) }
        case .u8: for (i, x) in scalars.enumerated() { out.storeBytes(of: Self.integer(x, UInt8.self), toByteOffset: i, as: UInt8.self) }
        case .bool: for (i, x) in scalars.enumerated() { out.storeBytes(of: UInt8(x != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self) }
        }
    }

    /// `x` rounded to the nearest integer and clamped to `T`'s range (NaN gives 0).
    private static func integer<T: FixedWidthInteger>(_ x: Float, _: T.Type) -> T {
        guard !x.isNaN else { return 0 }
        return T(exactly: x.rounded()) ?? (x < 0 ? T.min : T.max)
    }
}
