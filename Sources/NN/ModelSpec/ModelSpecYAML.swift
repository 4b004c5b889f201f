import Files
import Foundation
import Tensors
import Yams

extension ModelSpec {
    /// Reads a spec from a YAML file; errors name the file and the field.
    public static func load(_ url: URL) throws -> ModelSpec {
        let bytes: [UInt8]
        do { bytes = try FileContents.bytes(url.path, atMost: maximumFileBytes) } catch {
            throw ModelSpecError(source: url.path, path: "", message: error.missing ? "no such file" : "cannot read the file: \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ModelSpecError(source: url.path, path: "", message: "not UTF-8 text; expected a YAML model spec")
        }
        return try parse(yaml: text, source: url.path)
    }

    /// The largest spec file read: 16 MiB, thousands of times a real spec.
    static let maximumFileBytes = 16 << 20

    /// Parses a spec from YAML text; `source` names it in errors.
    public static func parse(yaml: String, source: String = "model spec") throws -> ModelSpec {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw ModelSpecError(source: source, path: "", message: "not valid YAML: \(error)")
        }
        let reader = SpecReader(source: source)
        guard let root, let top = root.mapping else { throw reader.error("", "expected a mapping with name, input, trunk and heads") }
        try reader.allowOnly(top, ["name", "input", "trunk", "heads"], at: "")
        let name = try top["name"].map { try reader.string($0, "name") } ?? "model"
        guard let inputNode = top["input"] else { throw reader.error("input", "missing (the shape of one example, e.g. [784] or [1, 28, 28])") }
        let input = try reader.intList(inputNode, "input")
        guard let trunkNode = top["trunk"] else { throw reader.error("trunk", "missing (a list of layers)") }
        let trunk = try reader.layers(trunkNode, "trunk")
        guard let headsNode = top["heads"]?.mapping else { throw reader.error("heads", "missing or not a mapping of task name to a list of layers") }
        let heads = try headsNode.map { key, value in
            let task = try reader.string(key, "heads")
            return Head(task: task, layers: try reader.layers(value, "heads.\(task)"))
        }
        var spec = ModelSpec(name: name, input: input, trunk: trunk, heads: heads)
        spec.name = name
        _ = try ModelSpec(name: source, input: input, trunk: trunk, heads: heads).outputShapes()
        return spec
    }

    /// The spec as YAML that `parse` reads back to an equal spec.
    public func yaml() -> String {
        func layers(_ list: [LayerSpec], indent: String) -> String {
            list.map { "\(indent)- \($0.yaml)" }.joined(separator: "\n")
        }
        var out = "name: \(name)\ninput: \(input)\ntrunk:\n\(layers(trunk, indent: "  "))\nheads:\n"
        for head in heads { out += "  \(head.task):\n\(layers(head.layers, indent: "    "))\n" }
        return out
    }
}

extension LayerSpec {
    /// One-line YAML form, e.g. `conv2d: {in: 1, out: 32, kernel: 3, padding: 1}`.
    var yaml: String {
        func size(_ s: Size2) -> String { s.height == s.width ? "\(s.height)" : "[\(s.height), \(s.width)]" }
        func fields(_ pairs: [(String, String?)]) -> String {
            "{" + pairs.compactMap { k, v in v.map { "\(k): \($0)" } }.joined(separator: ", ") + "}"
        }
        switch self {
        case .linear(let i, let o, let b): return "linear: " + fields([("in", i.map(String.init)), ("out", "\(o)"), ("bias", b ? nil : "false")])
        case .conv2d(let i, let o, let k, let s, let p, let d, let g, let b):
            return "conv2d: " + fields([("in", i.map(String.init)), ("out", "\(o)"), ("kernel", size(k)), ("stride", s == 1 ? nil : size(s)),
                                        ("padding", p == 0 ? nil : size(p)), ("dilation", d == 1 ? nil : size(d)),
                                        ("groups", g == 1 ? nil : "\(g)"), ("bias", b ? nil : "false")])
        case .maxPool2d(let k, let s, let p):
            return "maxpool2d: " + fields([("kernel", size(k)), ("stride", s.map(size)), ("padding", p == 0 ? nil : size(p))])
        case .avgPool2d(let k, let s, let p, let c):
            return "avgpool2d: " + fields([("kernel", size(k)), ("stride", s.map(size)), ("padding", p == 0 ? nil : size(p)),
                                           ("count_include_pad", c ? nil : "false")])
        case .adaptiveAvgPool2d(let s): return "adaptive_avgpool2d: " + fields([("output", size(s))])
        case .batchNorm1d(let f): return f.map { "batchnorm1d: {features: \($0)}" } ?? "batchnorm1d"
        case .batchNorm2d(let f): return f.map { "batchnorm2d: {features: \($0)}" } ?? "batchnorm2d"
        case .dropout(let p): return "dropout: {p: \(p)}"
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .flatten: return "flatten"
        case .leakyRelu(let slope): return "leaky_relu: {slope: \(slope)}"
        case .gelu(let approximate): return approximate ? "gelu: {approximate: tanh}" : "gelu"
        }
    }
}

/// Reads YAML nodes into spec values, with errors that name the source and the field path.
private struct SpecReader {
    let source: String

    func error(_ path: String, _ message: String) -> ModelSpecError { ModelSpecError(source: source, path: path, message: message) }

    func allowOnly(_ mapping: Node.Mapping, _ keys: [String], at path: String) throws {
        for (key, _) in mapping {
            let k = key.string ?? "?"
            guard keys.contains(k) else {
                throw error(path.isEmpty ? k : "\(path).\(k)", "unknown key (expected one of: \(keys.joined(separator: ", ")))")
            }
        }
    }

    func string(_ node: Node, _ path: String) throws -> String {
        guard let s = node.scalar?.string, !s.isEmpty else { throw error(path, "expected a non-empty string") }
        return s
    }

    /// A plain decimal integer ≥ `minimum`. Read here rather than by Yams, whose YAML 1.1 forms
    /// (sexagesimal `1:30`, octal `010`) trap on overflow or surprise; too large is an error.
    func int(_ node: Node, _ path: String, minimum: Int = 1) throws -> Int {
        let text = node.scalar?.string ?? ""
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        let plain = node.scalar.map { $0.style == .plain || $0.style == .any } ?? false
        let decimal = plain && !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
        guard decimal, let value = Int(text), value >= minimum else {
            let found = node.scalar == nil ? "a collection" : "'\(text)'" + (decimal ? (Int(text) == nil ? " (too large)" : "") : "")
            throw error(path, "expected an integer ≥ \(minimum), found \(found)")
        }
        return value
    }

    func float(_ node: Node, _ path: String) throws -> Float {
        guard let value = node.float else { throw error(path, "expected a number, found '\(node.scalar?.string ?? "a collection")'") }
        return Float(value)
    }

    func bool(_ node: Node, _ path: String) throws -> Bool {
        guard let value = node.bool else { throw error(path, "expected true or false") }
        return value
    }

    func intList(_ node: Node, _ path: String) throws -> [Int] {
        guard let items = node.sequence, !items.isEmpty else { throw error(path, "expected a non-empty list of integers, e.g. [1, 28, 28]") }
        return try items.enumerated().map { try int($1, "\(path)[\($0)]") }
    }

    func size(_ node: Node, _ path: String, minimum: Int = 1) throws -> Size2 {
        if let items = node.sequence {
            guard items.count == 2 else { throw error(path, "expected an integer or [height, width]") }
            return Size2(try int(items[0], path + "[0]", minimum: minimum), try int(items[1], path + "[1]", minimum: minimum))
        }
        let v = try int(node, path, minimum: minimum)
        return Size2(v, v)
    }

    func layers(_ node: Node, _ path: String) throws -> [LayerSpec] {
        guard let items = node.sequence else { throw error(path, "expected a list of layers") }
        return try items.enumerated().map { try layer($1, "\(path)[\($0)]") }
    }

    func layer(_ node: Node, _ path: String) throws -> LayerSpec {
        let kind: String, options: Node.Mapping
        if let name = node.scalar?.string {
            (kind, options) = (name, Node.Mapping([]))
        } else if let mapping = node.mapping, mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key, $0.value) }), let name = key.string {
            guard let body = value.mapping else { throw error("\(path).\(name)", "expected a mapping of settings, e.g. {out: 10}") }
            (kind, options) = (name, body)
        } else {
            throw error(path, "expected a layer name (e.g. relu) or a one-key mapping (e.g. linear: {out: 10})")
        }
        let at = "\(path).\(kind)"
        func opt<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T? { try options[key].map { try read($0, "\(at).\(key)") } }
        func req<T>(_ key: String, _ read: (Node, String) throws -> T) throws -> T {
            guard let v = try opt(key, read) else { throw error("\(at).\(key)", "missing") }
            return v
        }
        let allowed: [String]
        let spec: LayerSpec
        switch kind {
        case "linear":
            allowed = ["in", "out", "bias"]
            spec = .linear(in: try opt("in", { try int($0, $1) }), out: try req("out", { try int($0, $1) }), bias: try opt("bias", bool) ?? true)
        case "conv2d":
            allowed = ["in", "out", "kernel", "stride", "padding", "dilation", "groups", "bias"]
            spec = .conv2d(in: try opt("in", { try int($0, $1) }), out: try req("out", { try int($0, $1) }), kernel: try req("kernel", { try size($0, $1) }),
                           stride: try opt("stride", { try size($0, $1) }) ?? 1, padding: try opt("padding", { try size($0, $1, minimum: 0) }) ?? 0,
                           dilation: try opt("dilation", { try size($0, $1) }) ?? 1, groups: try opt("groups", { try int($0, $1) }) ?? 1,
                           bias: try opt("bias", bool) ?? true)
        case "maxpool2d":
            allowed = ["kernel", "stride", "padding"]
            spec = .maxPool2d(kernel: try req("kernel", { try size($0, $1) }), stride: try opt("stride", { try size($0, $1) }),
                              padding: try opt("padding", { try size($0, $1, minimum: 0) }) ?? 0)
        case "avgpool2d":
            allowed = ["kernel", "stride", "padding", "count_include_pad"]
            spec = .avgPool2d(kernel: try req("kernel", { try size($0, $1) }), stride: try opt("stride", { try size($0, $1) }),
                              padding: try opt("padding", { try size($0, $1, minimum: 0) }) ?? 0, countIncludePad: try opt("count_include_pad", bool) ?? true)
        case "adaptive_avgpool2d":
            allowed = ["output"]
            spec = .adaptiveAvgPool2d(try req("output", { try size($0, $1) }))
        case "batchnorm1d", "batchnorm2d":
            allowed = ["features"]
            let features = try opt("features", { try int($0, $1) })
            spec = kind == "batchnorm1d" ? .batchNorm1d(features: features) : .batchNorm2d(features: features)
        case "dropout":
            allowed = ["p"]
            let p = try opt("p", float) ?? 0.5
            guard p >= 0 && p < 1 else { throw error("\(at).p", "expected a probability in [0, 1)") }
            spec = .dropout(p)
        case "leaky_relu":
            allowed = ["slope"]
            spec = .leakyRelu(slope: try opt("slope", float) ?? 0.01)
        case "gelu":
            allowed = ["approximate"]
            let approximate = try opt("approximate", string) ?? "none"
            guard ["none", "tanh"].contains(approximate) else { throw error("\(at).approximate", "expected none or tanh") }
            spec = .gelu(approximate: approximate == "tanh")
        case "relu": (allowed, spec) = ([], .relu)
        case "tanh": (allowed, spec) = ([], .tanh)
        case "sigmoid": (allowed, spec) = ([], .sigmoid)
        case "flatten": (allowed, spec) = ([], .flatten)
        default:
            throw error(path, "unknown layer '\(kind)' (known: linear, conv2d, maxpool2d, avgpool2d, adaptive_avgpool2d, batchnorm1d, batchnorm2d, dropout, relu, leaky_relu, gelu, tanh, sigmoid, flatten)")
        }
        try allowOnly(options, allowed, at: at)
        return spec
    }
}
