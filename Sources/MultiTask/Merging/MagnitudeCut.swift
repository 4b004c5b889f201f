/// TIES's trim as a streaming rule: keep exactly the k entries of largest magnitude, ties at the
/// k-th magnitude going to the entries met first. The cut is found without holding or sorting
/// the values: two passes of a radix select over |δ|'s bit pattern (for non-negative floats the
/// bit patterns sort as the values do), 65,536 counters each.
struct MagnitudeCut: Sendable, Equatable {
    /// The k-th largest magnitude, as a bit pattern.
    var threshold: UInt32
    /// How many more entries of exactly that magnitude are kept.
    var equalToKeep: Int

    /// Keeps everything (density 1).
    static let all = MagnitudeCut(threshold: 0, equalToKeep: .max)

    /// Whether `delta` is kept; call once per entry, in order.
    @inline(__always)
    mutating func keeps(_ delta: Float) -> Bool {
        let bits = delta.bitPattern & 0x7FFF_FFFF
        if bits > threshold { return true }
        if bits == threshold && equalToKeep > 0 {
            equalToKeep -= 1
            return true
        }
        return false
    }

    /// The cut keeping k = ⌊density · n⌋ of `n` entries that `stream` visits (twice, chunk by
    /// chunk, in the same order). `what` names the tensor or model in the error for k = 0.
    static func keeping(density: Double, of n: Int, what: String,
                        stream: ((UnsafeBufferPointer<Float>) -> Void) throws -> Void) throws -> MagnitudeCut {
        guard density < 1 else { return .all }
        let k = Int(density * Double(n))
        guard k > 0 else {
            throw ConfigurationError("ties: density \(density) keeps no entry of \(what) (\(n) entries; k = ⌊density · n⌋ = 0): raise the density, or use trim_scope: global")
        }
        var high = [Int](repeating: 0, count: 1 << 16)
        try stream { chunk in
            high.withUnsafeMutableBufferPointer { counts in
                for x in chunk { counts[Int((x.bitPattern & 0x7FFF_FFFF) >> 16)] += 1 }
            }
        }
        var above = 0, top = (1 << 16) - 1
        while above + high[top] < k { above += high[top]; top -= 1 }
        var low = [Int](repeating: 0, count: 1 << 16)
        let prefix = UInt32(top)
        try stream { chunk in
            low.withUnsafeMutableBufferPointer { counts in
                for x in chunk {
                    let bits = x.bitPattern & 0x7FFF_FFFF
                    if bits >> 16 == prefix { counts[Int(bits & 0xFFFF)] += 1 }
                }
            }
        }
        var bottom = (1 << 16) - 1
        while above + low[bottom] < k { above += low[bottom]; bottom -= 1 }
        return MagnitudeCut(threshold: prefix << 16 | UInt32(bottom), equalToKeep: k - above)
    }
}
