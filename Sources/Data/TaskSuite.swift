import Foundation

/// Built-in multi-task problems, each deterministic from a seed, so that experiments on task
/// relatedness, transfer and negative transfer can be reproduced by name.
/// See `docs/SUITES.md` for every task and the relations to expect between them.
public enum TaskSuite {
    /// The suite names `load` accepts.
    public static let names: [String] = ["fashion-attributes", "multifashion", "digit-parity", "synthetic"]

    /// The suite called `name` for `split`; `directory` locates Fashion-MNIST (ignored by
    /// `synthetic`, which uses the default `SyntheticConfig` with this seed). Throws
    /// `DataError.unknownSuite` listing the names for any other name.
    public static func load(_ name: String, split: FashionMNIST.Split, seed: UInt64, directory: URL? = nil) throws -> Dataset {
        switch name {
        case "fashion-attributes":
            return try fashionAttributes(split, seed: seed, directory: directory)
        case "multifashion":
            return try multiFashion(split, seed: seed, directory: directory)
        case "digit-parity":
            return try digitParity(split, directory: directory)
        case "synthetic":
            return synthetic(SyntheticConfig(seed: seed), split: split).dataset
        default:
            throw DataError.unknownSuite(name, known: names)
        }
    }
}
