import Tensors

/// The checks `LayerSpec.outputShape` makes besides shape chaining: settings in range (a spec
/// made in code skips the YAML reader's checks), window arithmetic without overflow, and sizes
/// within `SpecLimits`. Each failure names the offending setting as `field`.
extension LayerSpec {
    /// The layer's YAML name (`linear`, `conv2d`, `leaky_relu`, ...), for error paths.
    var kindName: String { String(yaml.prefix { $0 != ":" }) }

    /// Why a setting is out of range, or nil.
    var settingsProblem: ShapeMessage? {
        func atLeast(_ minimum: Int, _ value: Int?, _ field: String) -> ShapeMessage? {
            guard let value, value < minimum else { return nil }
            return ShapeMessage(text: "expected an integer ≥ \(minimum), found \(value)", field: field)
        }
        func atLeast(_ minimum: Int, _ size: Size2?, _ field: String) -> ShapeMessage? {
            guard let size, size.height < minimum || size.width < minimum else { return nil }
            return ShapeMessage(text: "expected integers ≥ \(minimum), found \(size)", field: field)
        }
        switch self {
        case .linear(let i, let out, _):
            return atLeast(1, i, "in") ?? atLeast(1, out, "out")
        case .conv2d(let i, let out, let k, let s, let p, let d, let groups, _):
            return atLeast(1, i, "in") ?? atLeast(1, out, "out") ?? atLeast(1, k, "kernel") ?? atLeast(1, s, "stride")
                ?? atLeast(0, p, "padding") ?? atLeast(1, d, "dilation") ?? atLeast(1, groups, "groups")
        case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p, _):
            return atLeast(1, k, "kernel") ?? atLeast(1, s, "stride") ?? atLeast(0, p, "padding")
        case .adaptiveAvgPool2d(let size):
            return atLeast(1, size, "output")
        case .batchNorm1d(let features), .batchNorm2d(let features):
            return atLeast(1, features, "features")
        case .dropout(let p):
            return p >= 0 && p < 1 ? nil : ShapeMessage(text: "expected a probability in [0, 1), found \(p)", field: "p")
        case .leakyRelu(let slope):
            return slope.isFinite ? nil : ShapeMessage(text: "expected a finite number, found \(slope)", field: "slope")
        case .relu, .tanh, .sigmoid, .flatten, .gelu:
            return nil
        }
    }

    /// The [H, W] output of a window over the last two axes of `input` ([C, H, W]), PyTorch's
    /// ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 per axis, with every step checked for overflow.
    func window(_ input: [Int], _ kernel: Size2, _ stride: Size2, _ padding: Size2, _ dilation: Size2) -> Result<(Int, Int), ShapeMessage> {
        func extent(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Result<Int, ShapeMessage> {
            let (reach, reachOverflow) = d.multipliedReportingOverflow(by: k - 1)
            guard !reachOverflow else {
                return .failure(ShapeMessage(text: "dilation \(d) × (kernel \(k) − 1) is larger than can be addressed", field: "dilation"))
            }
            let (twice, twiceOverflow) = p.multipliedReportingOverflow(by: 2)
            let (padded, paddedOverflow) = n.addingReportingOverflow(twice)
            guard !twiceOverflow && !paddedOverflow else {
                return .failure(ShapeMessage(text: "padding \(p) makes the padded input larger than can be addressed", field: "padding"))
            }
            let span = padded - reach - 1  // padded ≥ 0 and reach ≥ 0: cannot overflow
            guard span >= 0 else { return .failure(ShapeMessage(text: "a \(kernel) window (stride \(stride), padding \(padding), dilation \(dilation)) does not fit the incoming shape \(input)")) }
            return .success(span / s + 1)
        }
        return extent(input[1], kernel.height, stride.height, padding.height, dilation.height).flatMap { h in
            extent(input[2], kernel.width, stride.width, padding.width, dilation.width).map { w in (h, w) }
        }
    }

    /// The parameters and buffers the layer holds for a per-example `input` shape.
    func parameterCount(input: [Int]) -> Double {
        switch self {
        case .linear(_, let out, let bias):
            return Double(input.last ?? 0) * Double(out) + (bias ? Double(out) : 0)
        case .conv2d(_, let out, let k, _, _, _, let groups, let bias):
            return Double(out) * Double(input[0] / groups) * Double(k.height) * Double(k.width) + (bias ? Double(out) : 0)
        case .batchNorm1d, .batchNorm2d:
            return 4 * Double(input[0]) + 1  // weight, bias, running mean and variance, batch count
        default:
            return 0
        }
    }

    /// Why the layer, mapping `input` to `output` per example, is too large for `SpecLimits`, or nil.
    func sizeProblem(input: [Int], output: [Int]) -> ShapeMessage? {
        let weights = parameterCount(input: input)
        if weights * 4 > Double(SpecLimits.parameterBytes) {
            return ShapeMessage(text: "\(weightShape(input)) would need \(SpecLimits.floatsText(weights)) for its weights (\(SpecLimits.limitText))",
                                field: weightField(input))
        }
        if case .conv2d(_, _, let k, _, let p, _, let groups, _) = self {
            let rows = Double(input[0] / groups) * Double(k.height) * Double(k.width)
            let columns = rows * Double(output[1]) * Double(output[2])
            let field = grownByPadding(input, output, p) ? "padding" : "kernel"
            if rows > Double(SpecLimits.elements) {
                return ShapeMessage(text: "in/groups × kernel = \(SpecLimits.integerText(rows)) rows in its im2col matrix, more than \(SpecLimits.elements) (BLAS takes 32-bit sizes)",
                                    field: "kernel")
            }
            if columns * 4 > Double(SpecLimits.exampleBytes) {
                return ShapeMessage(text: "its im2col matrix for one example ([\(SpecLimits.integerText(rows)), \(SpecLimits.integerText(Double(output[1]) * Double(output[2])))]) would need \(SpecLimits.floatsText(columns)) (\(SpecLimits.limitText))",
                                    field: field)
            }
        }
        return Self.tensorProblem(output, what: "its output for one example", field: outputField(input, output))
    }

    /// Why a per-example tensor of `shape` is too large, or nil; `what` names it in the message.
    static func tensorProblem(_ shape: [Int], what: String, field: String?) -> ShapeMessage? {
        let count = SpecLimits.count(shape)
        if count * 4 > Double(SpecLimits.exampleBytes) {
            return ShapeMessage(text: "\(what), \(shape), would need \(SpecLimits.floatsText(count)) (\(SpecLimits.limitText))", field: field)
        }
        if count > Double(SpecLimits.elements) {
            return ShapeMessage(text: "\(what), \(shape), has \(SpecLimits.integerText(count)) elements, more than \(SpecLimits.elements) (BLAS and pooling use 32-bit sizes)", field: field)
        }
        return nil
    }

    /// The weight tensor's shape, as messages show it.
    private func weightShape(_ input: [Int]) -> String {
        switch self {
        case .linear(_, let out, _): "weight [out, in] = [\(out), \(input.last ?? 0)]"
        case .conv2d(_, let out, let k, _, _, _, let groups, _): "weight [out, in/groups, kh, kw] = [\(out), \(input[0] / groups), \(k.height), \(k.width)]"
        default: "the layer (\(input[0]) features)"
        }
    }

    /// The setting that contributes most to the weights' size.
    private func weightField(_ input: [Int]) -> String? {
        switch self {
        case .linear(_, let out, _):
            return out >= (input.last ?? 0) ? "out" : "in"
        case .conv2d(_, let out, let k, _, _, _, let groups, _):
            let factors = [("out", Double(out)), ("in", Double(input[0] / groups)), ("kernel", Double(k.height) * Double(k.width))]
            return factors.max { $0.1 < $1.1 }?.0
        default:
            return nil
        }
    }

    /// The setting that makes the output larger than its input, if one does.
    private func outputField(_ input: [Int], _ output: [Int]) -> String? {
        switch self {
        case .linear: "out"
        case .conv2d(_, _, _, _, let p, _, _, _): grownByPadding(input, output, p) ? "padding" : "out"
        case .maxPool2d(_, _, let p), .avgPool2d(_, _, let p, _): grownByPadding(input, output, p) ? "padding" : nil
        case .adaptiveAvgPool2d: "output"
        default: nil
        }
    }

    /// Whether padding made a window layer's [C, H, W] output spatially larger than its input.
    private func grownByPadding(_ input: [Int], _ output: [Int], _ p: Size2) -> Bool {
        (p.height > 0 || p.width > 0) && (output[1] > input[1] || output[2] > input[2])
    }
}
