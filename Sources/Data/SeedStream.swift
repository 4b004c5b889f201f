/// Derives independent, platform-stable seeds from a user seed and a purpose, so that the
/// loader's epoch orders, splits and each suite's random labels never share a random stream.
enum SeedStream {
    /// A seed for the stream named `purpose` (hashed with FNV-1a, which unlike `Hasher` is the
    /// same in every process) and numbered `index`, derived from `seed`.
    static func derive(_ seed: UInt64, _ purpose: String, index: UInt64 = 0) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in purpose.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return mix(seed ^ mix(hash ^ mix(index &+ 0x9E37_79B9_7F4A_7C15)))
    }

    /// SplitMix64's output finaliser: a bijective 64-bit mixer.
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}
