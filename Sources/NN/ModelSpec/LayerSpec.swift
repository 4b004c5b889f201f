import Tensors

/// One layer of a declarative model: what it is and its settings. `in`/feature counts may be
/// left out (`nil`) and are then inferred from the incoming shape when the model is built.
public enum LayerSpec: Sendable, Equatable {
    case linear(in: Int?, out: Int, bias: Bool)
    case conv2d(in: Int?, out: Int, kernel: Size2, stride: Size2, padding: Size2, dilation: Size2, groups: Int, bias: Bool)
    case maxPool2d(kernel: Size2, stride: Size2?, padding: Size2)
    case avgPool2d(kernel: Size2, stride: Size2?, padding: Size2, countIncludePad: Bool)
    case adaptiveAvgPool2d(Size2)
    case batchNorm1d(features: Int?)
    case batchNorm2d(features: Int?)
    case dropout(Float)
    case relu, tanh, sigmoid, flatten
    case leakyRelu(slope: Float)
    case gelu(approximate: Bool)

    /// The per-example output shape for a per-example input shape (no batch axis), or a message
    /// saying why the layer cannot take that input: settings out of range, shapes that do not
    /// chain, or sizes beyond `SpecLimits` (see LayerSpecChecks.swift).
    func outputShape(_ input: [Int]) -> Result<[Int], ShapeMessage> {
        if let problem = settingsProblem { return .failure(problem) }
        return chainedShape(input).flatMap { output in
            sizeProblem(input: input, output: output).map { .failure($0) } ?? .success(output)
        }
    }

    private func chainedShape(_ input: [Int]) -> Result<[Int], ShapeMessage> {
        func fail(_ text: String) -> Result<[Int], ShapeMessage> { .failure(ShapeMessage(text: text)) }
        switch self {
        case .linear(let inFeatures, let out, _):
            guard let last = input.last else { return fail("linear needs at least one axis, got a scalar") }
            if let inFeatures, inFeatures != last { return fail("linear expects \(inFeatures) input features, the incoming shape is \(input)") }
            return .success(input.dropLast() + [out])
        case .conv2d(let inChannels, let out, let k, let s, let p, let d, let groups, _):
            guard input.count == 3 else { return fail("conv2d expects [C, H, W] per example, the incoming shape is \(input)") }
            if let inChannels, inChannels != input[0] { return fail("conv2d expects \(inChannels) input channels, the incoming shape is \(input)") }
            guard input[0] % groups == 0, out % groups == 0 else { return fail("conv2d groups \(groups) must divide input channels \(input[0]) and output channels \(out)") }
            return window(input, k, s, p, d).map { [out, $0.0, $0.1] }
        case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p, _):
            guard input.count == 3 else { return fail("pooling expects [C, H, W] per example, the incoming shape is \(input)") }
            guard p.height <= k.height / 2 && p.width <= k.width / 2 else {
                return .failure(ShapeMessage(text: "pool padding \(p) must be at most half the kernel \(k)", field: "padding"))
            }
            return window(input, k, s ?? k, p, 1).map { [input[0], $0.0, $0.1] }
        case .adaptiveAvgPool2d(let size):
            guard input.count == 3 else { return fail("adaptiveAvgPool2d expects [C, H, W] per example, the incoming shape is \(input)") }
            return .success([input[0], size.height, size.width])
        case .batchNorm1d(let features):
            guard input.count == 1 else { return fail("batchNorm1d expects [C] per example, the incoming shape is \(input)") }
            if let features, features != input[0] { return fail("batchNorm1d expects \(features) features, the incoming shape is \(input)") }
            return .success(input)
        case .batchNorm2d(let features):
            guard input.count == 3 else { return fail("batchNorm2d expects [C, H, W] per example, the incoming shape is \(input)") }
            if let features, features != input[0] { return fail("batchNorm2d expects \(features) channels, the incoming shape is \(input)") }
            return .success(input)
        case .flatten:
            return .success([input.reduce(1, *)])  // the input passed the size checks: no overflow
        case .dropout, .relu, .tanh, .sigmoid, .leakyRelu, .gelu:
            return .success(input)
        }
    }

    /// The layer as a module for the given per-example input shape (which fills in inferred sizes).
    func makeModule(input: [Int], rng: inout RandomGenerator, seed: UInt64) -> Module {
        switch self {
        case .linear(_, let out, let bias): Linear(input.last!, out, bias: bias, rng: &rng)
        case .conv2d(_, let out, let k, let s, let p, let d, let g, let bias):
            Conv2d(input[0], out, kernel: k, stride: s, padding: p, dilation: d, groups: g, bias: bias, rng: &rng)
        case .maxPool2d(let k, let s, let p): MaxPool2d(kernel: k, stride: s, padding: p)
        case .avgPool2d(let k, let s, let p, let c): AvgPool2d(kernel: k, stride: s, padding: p, countIncludePad: c)
        case .adaptiveAvgPool2d(let size): AdaptiveAvgPool2d(size)
        case .batchNorm1d: BatchNorm(input[0], spatialRank: 0)
        case .batchNorm2d: BatchNorm(input[0], spatialRank: 2)
        case .dropout(let p): Dropout(p, seed: seed)
        case .relu: ReLU()
        case .tanh: Tanh()
        case .sigmoid: Sigmoid()
        case .flatten: Flatten()
        case .leakyRelu(let slope): LeakyReLU(slope: slope)
        case .gelu(let approximate): GELU(approximate: approximate)
        }
    }
}

/// Why a layer cannot accept an incoming shape; `field` names the setting at fault, if one is.
struct ShapeMessage: Error {
    let text: String
    var field: String? = nil
}
