import Tensors

extension Dataset {
    /// A random train/validation partition: a permutation seeded by `seed` puts
    /// `round(count × validationFraction)` examples in validation and the rest in train, each
    /// kept in original order. The same seed always gives the same partition.
    public func split(validationFraction: Double, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        require(
            validationFraction >= 0 && validationFraction <= 1,
            "split(validationFraction:seed:): fraction \(validationFraction) is outside [0, 1]")
        var rng = RandomGenerator(seed: SeedStream.derive(seed, "Dataset.split"))
        let order = rng.permutation(count)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        var train = subset(order[validationCount...].sorted())
        var validation = subset(order[..<validationCount].sorted())
        train.name = name + "/train"
        validation.name = name + "/validation"
        return (train, validation)
    }
}
