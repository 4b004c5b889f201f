import Foundation

/// How large a model spec may be. `ModelSpec` checks these before anything is allocated, so an
/// absurd size is an error naming the field and the memory it would need, never an allocation
/// abort or an integer-overflow trap.
enum SpecLimits {
    /// Bytes for all parameters and buffers: 16 GiB, or a quarter of physical memory when that is
    /// less, because training holds the weights, their gradients and up to two optimizer moments.
    static let parameterBytes = Swift.min(16 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 4))

    /// Bytes for one example's largest intermediate tensor (a layer's output, a convolution's
    /// im2col matrix): the same budget; a batch multiplies it.
    static var exampleBytes: Int { parameterBytes }

    /// Elements of any per-example tensor, and rows of a convolution's im2col matrix: `Int32.max`,
    /// because `cblas_sgemm` takes 32-bit sizes and max-pooling keeps 32-bit indices in a plane.
    static let elements = Int(Int32.max)

    /// The byte limit as messages show it, saying where it comes from.
    static var limitText: String {
        let budget = bytesText(Double(parameterBytes))
        return parameterBytes < 16 << 30 ? "limit: \(budget), a quarter of this machine's memory" : "limit: \(budget)"
    }

    /// Bytes for `count` Float32 values, e.g. "3.7 GiB" (binary units, one decimal).
    static func floatsText(_ count: Double) -> String { bytesText(count * 4) }

    /// A byte count in binary units with one decimal, e.g. "512.0 MiB".
    static func bytesText(_ bytes: Double) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(Int(value)) bytes" }
        return String(format: value < 1e6 ? "%.1f" : "%.2g", value) + " " + units[unit]
    }

    /// A whole count held as a Double, in digits (no trap where it exceeds `Int`).
    static func integerText(_ count: Double) -> String { String(format: "%.0f", count) }

    /// The product of `shape` as a Double: exact below 2⁵³ and never overflowing, for size checks.
    static func count(_ shape: [Int]) -> Double { shape.reduce(1.0) { $0 * Double($1) } }
}
