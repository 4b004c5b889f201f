import Foundation
import NN
import Tensors

/// The committed PyTorch reference outputs (scripts/pytorch_reference.py → Tests/Fixtures/pytorch).
public enum PyTorchFixtures {
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pytorch")

    /// One fixture file's tensors, in file order.
    public static func load(_ name: String) throws -> ParameterSet {
        ParameterSet(try Safetensors.load(directory.appendingPathComponent("\(name).safetensors")).tensors.map { ($0.name, $0.tensor) })
    }
}

/// ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero): the comparison the fixtures' README recommends, since
/// float32 results with another summation order differ elementwise near zero.
public func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    var difference = 0.0, reference = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        difference += Double(x - y) * Double(x - y)
        reference += Double(y) * Double(y)
    }
    return reference == 0 ? difference.squareRoot() : (difference / reference).squareRoot()
}
