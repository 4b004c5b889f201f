import Tensors

/// A generator's 256-bit state as eight exact 32-bit halves, so it survives JSON (whose numbers
/// are doubles) in training checkpoints.
enum GeneratorState {
    static func encode(_ rng: RandomGenerator) -> [Double] {
        rng.state.flatMap { [Double($0 >> 32), Double($0 & 0xFFFF_FFFF)] }
    }

    /// The generator, or nil when `halves` is not a saved state.
    static func decode(_ halves: [Double]) -> RandomGenerator? {
        guard halves.count == 8 else { return nil }
        return RandomGenerator(state: (0..<4).map { UInt64(halves[2 * $0]) << 32 | UInt64(halves[2 * $0 + 1]) })
    }
}
