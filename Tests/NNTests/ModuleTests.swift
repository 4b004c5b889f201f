import Foundation
import TestSupport
import Testing
import Tensors
@testable import NN

@Suite("Modules, names and initialisation")
struct ModuleTests {
    @Test func referenceModelsUsePyTorchNames() throws {
        let mlp = try ModelSpec.referenceMLP.build(seed: 0)
        #expect(mlp.parameters().names == ["trunk.0.weight", "trunk.0.bias", "heads.class.0.weight", "heads.class.0.bias",
                                           "heads.parity.0.weight", "heads.parity.0.bias"])
        #expect(mlp.parameters()["trunk.0.weight"]!.shape == [100, 784])
        let cnn = try ModelSpec.referenceCNN.build(seed: 0)
        #expect(cnn.parameters().names == ["trunk.0.weight", "trunk.0.bias", "trunk.3.weight", "trunk.3.bias", "trunk.7.weight", "trunk.7.bias",
                                           "heads.class.0.weight", "heads.class.0.bias", "heads.footwear.0.weight", "heads.footwear.0.bias",
                                           "heads.upper.0.weight", "heads.upper.0.bias"])
        #expect(cnn.parameters()["trunk.3.weight"]!.shape == [64, 32, 3, 3])
        #expect(cnn.parameters()["trunk.7.weight"]!.shape == [128, 3136])
        #expect(cnn.tasks == ["class", "footwear", "upper"])
        #expect(cnn.trunkParameters().count == 6)
        let out = cnn.forward(Tensor.zeros([2, 1, 28, 28]))
        #expect(out.features.shape == [2, 128] && out.outputs.map(\.output.shape) == [[2, 10], [2, 2], [2, 2]])
    }

    @Test func batchNormStateDictOrderMatchesPyTorch() throws {
        let spec = try ModelSpec.parse(yaml: """
            input: [3, 8, 8]
            trunk: [{conv2d: {out: 4, kernel: 3}}, batchnorm2d, relu, flatten]
            heads: {a: [{linear: {out: 2}}]}
            """)
        let model = try spec.build(seed: 1)
        #expect(model.stateDict().names == ["trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.1.bias", "trunk.1.running_mean",
                                            "trunk.1.running_var", "trunk.1.num_batches_tracked", "heads.a.0.weight", "heads.a.0.bias"])
        #expect(model.parameters().count == 6 && model.buffers().count == 3)
    }

    @Test func initialisationFollowsPyTorchBounds() throws {
        let model = try ModelSpec.referenceCNN.build(seed: 3)
        for (name, fanIn) in [("trunk.0", 9), ("trunk.3", 288), ("trunk.7", 3136), ("heads.class.0", 128)] {
            let bound = 1 / Float(fanIn).squareRoot()
            for suffix in ["weight", "bias"] {
                let t = model.parameters()["\(name).\(suffix)"]!
                #expect(t.abs().max().scalar <= bound)
                if t.count > 1000 {  // U(−b, b) has variance b²/3 and a maximum close to b
                    #expect(Swift.abs(t.variance().scalar / (bound * bound / 3) - 1) < 0.05)
                    #expect(t.abs().max().scalar > 0.99 * bound)
                }
            }
        }
        #expect(try ModelSpec.referenceMLP.build(seed: 5).parameters() == ModelSpec.referenceMLP.build(seed: 5).parameters())
        #expect(try ModelSpec.referenceMLP.build(seed: 5).parameters() != ModelSpec.referenceMLP.build(seed: 6).parameters())
    }

    @Test func loadingChecksKeysAndShapes() throws {
        let model = try ModelSpec.referenceMLP.build(seed: 0)
        var state = model.stateDict()
        state["trunk.0.bias"] = nil
        state["extra.weight"] = Tensor.zeros([1])
        #expect(throws: ModuleError.keysDiffer(missing: ["trunk.0.bias"], unexpected: ["extra.weight"])) { try model.load(stateDict: state) }
        var wrong = model.stateDict()
        wrong["heads.class.0.weight"] = Tensor.zeros([10, 99])
        #expect(throws: ModuleError.shapeMismatch(key: "heads.class.0.weight", expected: [10, 100], found: [10, 99])) { try model.load(stateDict: wrong) }
        #expect(throws: ModuleError.unknownKey("trunk.9.weight")) { try model.update(parameters: ParameterSet([("trunk.9.weight", Tensor.zeros([1]))])) }
        // A failed load changes nothing.
        #expect(model.stateDict() == (try ModelSpec.referenceMLP.build(seed: 0)).stateDict())
        let other = try ModelSpec.referenceMLP.build(seed: 9)
        try model.load(stateDict: other.stateDict())
        #expect(model.stateDict() == other.stateDict())
    }

    @Test func valueAndGradientRestoresParametersAndCoversAll() throws {
        let model = try ModelSpec.referenceMLP.build(seed: 0)
        let before = model.parameters()
        var rng = RandomGenerator(seed: 1234)
        let x = Tensor.uniform([4, 784], using: &rng)
        let (value, grads) = model.valueAndGradient { model.forward(x).outputs.map { $0.output.squared().mean() }.reduce(Tensor(0), +) }
        #expect(model.parameters() == before && !model.parameters()["trunk.0.weight"]!.requiresGradient)
        #expect(grads.names == before.names && value.scalar > 0)
        #expect(grads["heads.parity.0.bias"]!.abs().sum().scalar > 0)
        // Per-task gradients of the trunk only, from one forward pass.
        let (losses, perTask) = model.valuesAndGradients(of: model.trunkParameters().names) {
            model.forward(x).outputs.map { $0.output.squared().mean() }
        }
        #expect(losses.count == 2 && perTask.map(\.names) == [model.trunkParameters().names, model.trunkParameters().names])
        let sum = perTask[0] + perTask[1]
        #expect((sum - grads.with(prefix: "trunk.")).norm < 1e-6)
    }

    @Test func trainAndEvalModes() throws {
        let spec = try ModelSpec.parse(yaml: "input: [6]\ntrunk: [{dropout: {p: 0.5}}, batchnorm1d]\nheads: {a: [{linear: {out: 1}}]}")
        let model = try spec.build(seed: 2)
        let x = Tensor(shape: [4, 6], scalars: (0..<24).map(Float.init))
        let trained = model.trunk(x)
        #expect(trained != model.trunk(x))  // dropout draws a new mask
        #expect(model.buffers()["trunk.1.num_batches_tracked"]!.scalar == 2)
        model.eval()
        let a = model.trunk(x), b = model.trunk(x)
        #expect(a == b)
        #expect(model.buffers()["trunk.1.num_batches_tracked"]!.scalar == 2)
        #expect(model.treeDescription.contains("BatchNorm1d(6"))
    }
}

@Suite("Model checkpoints")
struct CheckpointTests {
    @Test func saveAndLoadRoundTripBitExactAndErrorsNameTheFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("cnn.safetensors")
        let model = try ModelSpec.referenceCNN.build(seed: 1)
        try model.save(to: url, metadata: ["note": "x"])
        let other = try ModelSpec.referenceCNN.build(seed: 2)
        #expect(try other.load(from: url)["note"] == "x")
        #expect(other.stateDict() == model.stateDict())
        let mlp = try ModelSpec.referenceMLP.build(seed: 0)
        #expect { try mlp.load(from: url) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(url.path) && text.contains("missing") && text.contains("trunk.3.weight")
        }
    }

    /// A checkpoint written by PyTorch (the fixture) loads into the equivalent model.
    @Test func pyTorchCheckpointLoads() throws {
        let model = try ModelSpec.referenceMLP.build(seed: 0)
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pytorch/mlp_init.safetensors")
        let metadata = try model.load(from: url)
        #expect(metadata["generator"] == "scripts/pytorch_reference.py")
        #expect(model.parameters()["trunk.0.weight"]!.shape == [100, 784])
    }
}

@Suite("Sequential ReLU/max-pool reordering")
struct ReluPoolOrderTests {
    /// Pool-then-ReLU inside Sequential gives the same values and gradients as ReLU-then-pool,
    /// including windows with no positive value and ties at zero.
    @Test func sameValuesAndGradients() {
        var rng = RandomGenerator(seed: 12)
        var values = Tensor.uniform([2, 3, 6, 6], low: -1, high: 1, using: &rng).scalars
        for i in stride(from: 0, to: values.count, by: 7) { values[i] = 0 }
        for i in 0..<4 { values[i] = -Float(i + 1) }  // a window with no positive value
        let x = Tensor(shape: [2, 3, 6, 6], scalars: values).requiringGradient()
        let seed = Tensor.uniform([2, 3, 3, 3], using: &rng)
        let fused = Sequential([ReLU(), MaxPool2d(kernel: 2)])(x)
        let plain = x.relu().maxPool2d(kernel: 2)
        #expect(fused == plain)
        #expect(fused.gradients(wrt: [x], seed: seed)[0] == plain.gradients(wrt: [x], seed: seed)[0])
    }
}

@Suite("Sequential conv + max-pool fusion")
struct ConvPoolFusionTests {
    /// Conv2d → ReLU → MaxPool2d(2) (fused, ReLU after the pool) and Conv2d → MaxPool2d(2) give the
    /// values and the input and parameter gradients of the layers applied one by one.
    @Test(arguments: [true, false])
    func sameValuesAndGradients(withReLU: Bool) {
        var rng = RandomGenerator(seed: 13)
        let conv = Conv2d(3, 4, kernel: 3, padding: 1, rng: &rng)
        let layers: [Module] = withReLU ? [conv, ReLU(), MaxPool2d(kernel: 2)] : [conv, MaxPool2d(kernel: 2)]
        let model = Sequential(layers)
        let x = Tensor.uniform([2, 3, 7, 6], low: -1, high: 1, using: &rng)
        let seed = Tensor.uniform([2, 4, 3, 3], using: &rng)
        func plain(_ x: Tensor) -> Tensor {
            let h = conv(x)
            return (withReLU ? h.relu() : h).maxPool2d(kernel: 2)
        }
        #expect(model(x) == plain(x))
        let fused = model.valueAndGradient { (model(x) * seed).sum() }
        let reference = model.valueAndGradient { (plain(x) * seed).sum() }
        #expect(fused.gradients.tensors == reference.gradients.tensors)
        let leaf = x.requiringGradient()
        #expect(model(leaf).gradients(wrt: [leaf], seed: seed) == plain(leaf).gradients(wrt: [leaf], seed: seed))
    }
}
