import Tensors

/// An affine normalisation `(x − mean) / std`, per feature or global, fitted on training inputs
/// and applied unchanged to every split so that validation and test never leak into the statistics.
public struct Normalization: Sendable, Codable, Equatable {
    /// One mean per feature, or a single global mean.
    public var mean: [Float]
    /// One standard deviation per feature, or a single global one; never zero.
    public var std: [Float]

    /// A normalisation with the given statistics (equal counts, each std non-zero).
    public init(mean: [Float], std: [Float]) {
        require(mean.count == std.count, "Normalization: \(mean.count) means but \(std.count) standard deviations")
        require(!std.contains(0), "Normalization: a standard deviation is zero")
        self.mean = mean
        self.std = std
    }

    /// Fits the mean and population standard deviation (two passes, in Double) over the examples
    /// of `inputs` (`[N, ...]`), per feature (every element of an example) or over all elements.
    /// A constant feature, whose std is 0, gets std 1 so that it maps to 0 instead of NaN.
    public static func fit(_ inputs: Tensor, perFeature: Bool) -> Normalization {
        require(inputs.rank >= 1, "Normalization.fit: inputs of shape \(inputs.shape) have no example axis")
        let rows = inputs.shape[0]
        let features = inputs.shape.dropFirst().reduce(1, *)
        let (means, variances) = inputs.withUnsafeBufferPointer { x in
            perFeature ? featureMoments(x, rows: rows, features: features) : globalMoments(x)
        }
        return Normalization(
            mean: means.map { Float($0) },
            std: variances.map { Float($0.squareRoot()) > 0 ? Float($0.squareRoot()) : 1 })
    }

    /// Per-column mean and population variance of a `rows × features` matrix.
    private static func featureMoments(_ x: UnsafeBufferPointer<Float>, rows: Int, features: Int) -> ([Double], [Double]) {
        var means = [Double](repeating: 0, count: features)
        var variances = [Double](repeating: 0, count: features)
        guard rows > 0 else { return (means, variances) }
        for r in 0..<rows {
            for f in 0..<features { means[f] += Double(x[r * features + f]) }
        }
        for f in 0..<features { means[f] /= Double(rows) }
        for r in 0..<rows {
            for f in 0..<features {
                let d = Double(x[r * features + f]) - means[f]
                variances[f] += d * d
            }
        }
        for f in 0..<features { variances[f] /= Double(rows) }
        return (means, variances)
    }

    /// Mean and population variance of all elements, as one-element arrays.
    private static func globalMoments(_ x: UnsafeBufferPointer<Float>) -> ([Double], [Double]) {
        guard !x.isEmpty else { return ([0], [0]) }
        var sum = 0.0
        for value in x { sum += Double(value) }
        let mean = sum / Double(x.count)
        var squares = 0.0
        for value in x {
            let d = Double(value) - mean
            squares += d * d
        }
        return ([mean], [squares / Double(x.count)])
    }

    /// `(x − mean) / std` for every example of `inputs`, whose per-example element count must
    /// match the fitted feature count (any shape works for a global normalisation).
    public func apply(_ inputs: Tensor) -> Tensor {
        let features = inputs.shape.dropFirst().reduce(1, *)
        require(
            mean.count == 1 || mean.count == features,
            "Normalization.apply: fitted on \(mean.count) features, inputs of shape \(inputs.shape) have \(features) per example")
        let total = inputs.count
        let output = inputs.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: total) { out, initialized in
                if mean.count == 1 {
                    let m = mean[0], s = std[0]
                    for i in 0..<total { out[i] = (x[i] - m) / s }
                } else {
                    let rows = features > 0 ? total / features : 0
                    mean.withUnsafeBufferPointer { m in
                        std.withUnsafeBufferPointer { s in
                            for r in 0..<rows {
                                for f in 0..<features { out[r * features + f] = (x[r * features + f] - m[f]) / s[f] }
                            }
                        }
                    }
                }
                initialized = total
            }
        }
        return Tensor(shape: inputs.shape, scalars: output)
    }
}
