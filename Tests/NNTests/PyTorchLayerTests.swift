import Foundation
import Testing
import Tensors
import TestSupport
@testable import NN

/// Layers and losses against PyTorch's numbers (Tests/Fixtures/pytorch/layers and losses).
@Suite("PyTorch equivalence: layers and losses")
struct PyTorchLayerTests {
    let layers: ParameterSet
    let losses: ParameterSet

    init() throws {
        layers = try PyTorchFixtures.load("layers")
        losses = try PyTorchFixtures.load("losses")
    }

    func expectClose(_ ours: Tensor, _ key: String, in set: ParameterSet, tolerance: Double = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let theirs = set[key] else { Issue.record("fixture has no '\(key)'", sourceLocation: sourceLocation); return }
        #expect(ours.shape == theirs.shape, "\(key): shape \(ours.shape) vs \(theirs.shape)", sourceLocation: sourceLocation)
        guard ours.shape == theirs.shape else { return }
        let error = relativeError(ours, theirs)
        #expect(error <= tolerance, "\(key): relative error \(error)", sourceLocation: sourceLocation)
    }

    @Test func functionalLayers() {
        let (x4, x2) = (layers["x4"]!, layers["x2"]!)
        expectClose(x2.gelu(), "gelu.out", in: layers)
        expectClose(x2.gelu(approximate: true), "gelu_tanh.out", in: layers)
        expectClose(x2.leakyRelu(slope: 0.2), "leaky.out", in: layers)
        expectClose(x4.avgPool2d(kernel: 3, stride: 2, padding: 1), "avgpool.out", in: layers)
        expectClose(x4.avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false), "avgpool_nopad.out", in: layers)
        expectClose(x4.adaptiveAvgPool2d(outputSize: [2, 3]), "adaptive.out", in: layers)
        expectClose(x4.maxPool2d(kernel: 3, stride: 2, padding: 1), "maxpool.out", in: layers)
        expectClose(Tensor.conv2d(x4, weight: layers["conv_grouped.weight"]!, bias: layers["conv_grouped.bias"]!, stride: 2, padding: 1, groups: 2),
                    "conv_grouped.out", in: layers)
        expectClose(Tensor.conv2d(x4, weight: layers["conv_dilated.weight"]!, bias: layers["conv_dilated.bias"]!, padding: 1, dilation: 2),
                    "conv_dilated.out", in: layers)
        expectClose(Tensor.linear(x2, weight: layers["linear.weight"]!, bias: layers["linear.bias"]!), "linear.out", in: layers)
    }

    @Test("BatchNorm train, running statistics, eval and gradients", arguments: ["bn2d", "bn1d"])
    func batchNorm(kind: String) throws {
        let x = layers[kind == "bn2d" ? "x4" : "x2"]!
        let bn = BatchNorm(4, spatialRank: kind == "bn2d" ? 2 : 0)
        try bn.update(parameters: ParameterSet([("weight", layers["\(kind).weight"]!), ("bias", layers["\(kind).bias"]!)]))
        let (_, grads) = bn.valueAndGradient {
            let out = bn(x)
            expectClose(out, "\(kind).train.out", in: layers)
            return (out * layers["\(kind).seed"]!).sum()
        }
        expectClose(grads["weight"]!, "\(kind).train.grad_weight", in: layers)
        expectClose(grads["bias"]!, "\(kind).train.grad_bias", in: layers)
        for key in ["running_mean", "running_var", "num_batches_tracked"] {
            expectClose(bn.buffers()[key]!, "\(kind).\(key)", in: layers, tolerance: key == "num_batches_tracked" ? 0 : 1e-5)
        }
    }

    @Test("BatchNorm input gradient", arguments: ["bn2d", "bn1d"])
    func batchNormInputGradient(kind: String) throws {
        let bn = BatchNorm(4, spatialRank: kind == "bn2d" ? 2 : 0)
        try bn.update(parameters: ParameterSet([("weight", layers["\(kind).weight"]!), ("bias", layers["\(kind).bias"]!)]))
        let x = layers[kind == "bn2d" ? "x4" : "x2"]!.requiringGradient()
        let grad = (bn(x) * layers["\(kind).seed"]!).sum().gradients(wrt: [x])[0]
        expectClose(grad, "\(kind).train.grad_x", in: layers)
        bn.eval()
        expectClose(bn(x.detached()), "\(kind).eval.out", in: layers)
    }

    /// Value and gradient (of the sum, for reduction none) of a loss against the fixture.
    func checkLoss(_ key: String, _ input: Tensor, sourceLocation: SourceLocation = #_sourceLocation, _ loss: (Tensor) -> Tensor) {
        let leaf = input.requiringGradient()
        let value = loss(leaf)
        expectClose(value.detached(), key, in: losses, sourceLocation: sourceLocation)
        expectClose(value.sum().gradients(wrt: [leaf])[0], "\(key).grad", in: losses, sourceLocation: sourceLocation)
    }

    @Test func crossEntropyVariants() {
        let (logits, targets, full, weight) = (losses["logits"]!, losses["targets"]!, losses["targets_full"]!, losses["ce.weight"]!)
        for reduction in Reduction.allCases {
            checkLoss("ce.\(reduction.rawValue)", logits) { Loss.crossEntropy($0, full, reduction: reduction) }
        }
        checkLoss("ce.ignore.mean", logits) { Loss.crossEntropy($0, targets) }
        checkLoss("ce.smooth.mean", logits) { Loss.crossEntropy($0, full, labelSmoothing: 0.1) }
        checkLoss("ce.weighted.mean", logits) { Loss.crossEntropy($0, full, weight: weight) }
        checkLoss("ce.weighted.ignore.mean", logits) { Loss.crossEntropy($0, targets, weight: weight) }
        checkLoss("ce.weighted.smooth.mean", logits) { Loss.crossEntropy($0, full, weight: weight, labelSmoothing: 0.2) }
    }

    @Test func binaryAndRegressionLosses() {
        let (logits, targets, posWeight) = (losses["logits_b"]!, losses["targets_b"]!, losses["bce.pos_weight"]!)
        for reduction in Reduction.allCases {
            checkLoss("bce.\(reduction.rawValue)", logits) { Loss.binaryCrossEntropyWithLogits($0, targets, reduction: reduction) }
        }
        checkLoss("bce.pos_weight.mean", logits) { Loss.binaryCrossEntropyWithLogits($0, targets, posWeight: posWeight) }
        let (pred, target) = (losses["pred"]!, losses["target"]!)
        for reduction in Reduction.allCases {
            checkLoss("mse.\(reduction.rawValue)", pred) { Loss.mse($0, target, reduction: reduction) }
            checkLoss("l1.\(reduction.rawValue)", pred) { Loss.l1($0, target, reduction: reduction) }
        }
        checkLoss("huber.mean", pred) { Loss.huber($0, target) }
        checkLoss("huber.none", pred) { Loss.huber($0, target, reduction: .none) }
        checkLoss("huber.delta0.5.mean", pred) { Loss.huber($0, target, delta: 0.5) }
    }
}
