import Files
import Foundation
import NN
import Yams

/// A merge as mergekit users write it (`mtk merge CONFIG.yaml`): `merge_method`, `base_model`,
/// `models: [{model: PATH, parameters: {weight, density}}]`, global `parameters` (`lambda`,
/// `normalize`, `density`, `weight`, `rescale`; ours: `trim_scope`, `seed`, `fisher_floor`,
/// `normalize_fishers`, `favor_target_model`), `dtype`/`out_dtype`, and our name filters
/// `include`/`exclude` (shell patterns; tensors left out are copied from the base model). A model's
/// own parameters override the global ones. Paths are relative to the working directory, as in
/// mergekit. Reading checks every key and value; nothing is opened yet (see `CheckpointMerge`).
public struct MergeConfig: Sendable {
    public struct Model: Sendable {
        public var path: String
        public var input: MergeInput
        /// Fisher merging: the model's diagonal Fisher (a checkpoint with the same tensor names).
        public var fisher: String?
        /// The config key the density came from (the model's own, or the global default).
        public var densityKey: String
    }

    public var settings: MergeSettings
    public var base: String?
    public var models: [Model]
    /// The output's element type; nil keeps each tensor's input dtype (the base's, else the first model's).
    public var dtype: SafetensorsDType?
    public var include: [String]
    public var exclude: [String]
    /// The YAML as given, kept beside the output (`mergekit_config.yml`).
    public var text: String
    /// Where the config came from, for messages.
    public var source: String
    /// The line of each key in the file, for errors found in the files it names.
    var lines: [String: Int] = [:]

    /// Reads and checks the config at `path`.
    public static func load(_ path: String) throws -> MergeConfig {
        let bytes: [UInt8]
        do { bytes = try FileContents.bytes(path, atMost: 1 << 20) } catch {
            throw ConfigFileError(source: path, line: nil, key: "", message: error.missing ? "no such file" : error.tooLarge != nil ? "larger than 1 MiB; expected a merge config" : "cannot read the file: \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ConfigFileError(source: path, line: nil, key: "", message: "not UTF-8 text; expected a YAML merge config") }
        return try parse(yaml: text, source: path)
    }

    static let topKeys = ["merge_method", "base_model", "models", "parameters", "dtype", "out_dtype", "include", "exclude"]
    static let globalKeys = ["lambda", "normalize", "density", "weight", "rescale", "trim_scope", "seed", "fisher_floor", "normalize_fishers", "favor_target_model"]
    static let modelKeys = ["weight", "density", "fisher"]
    /// The methods each global parameter applies to (the others apply to all); a parameter given
    /// to a method that ignores it is an error, not a silent no-op.
    static let applicable: [String: Set<MergeMethod>] = [
        "lambda": [.taskArithmetic, .ties, .dareLinear, .dareTies],
        "normalize": [.linear, .taskArithmetic, .ties, .dareLinear, .dareTies],
        "density": [.ties, .dareLinear, .dareTies],
        "rescale": [.dareLinear, .dareTies],
        "trim_scope": [.ties],
        "seed": [.dareLinear, .dareTies],
        "fisher_floor": [.fisher], "normalize_fishers": [.fisher], "favor_target_model": [.fisher],
    ]
    /// mergekit keys we know but do not do, with what to do instead.
    static let unsupported = [
        "slices": "layer slicing (slices/sources) is not supported: list whole models under 'models'",
        "tokenizer_source": "tokenizers are not handled: mtk merge writes tensors only", "tokenizer": "tokenizers are not handled: mtk merge writes tensors only",
        "chat_template": "chat templates are not handled: mtk merge writes tensors only", "modules": "per-module merges are not supported: use include/exclude",
    ]

    /// Parses `yaml`; `source` names it in errors, with the line and the key.
    public static func parse(yaml: String, source: String = "merge config") throws -> MergeConfig {
        let r = YAMLFields(source: source)
        let root = try r.root(yaml, what: "merge_method, models and (for most methods) base_model")
        for (key, _) in root.mapping! {
            if let name = key.string, let why = unsupported[name] { throw r.error(name, key, why) }
        }
        let top = try r.mapping(root, "", allowed: topKeys)
        /// mergekit's per-layer gradients and conditional values are lists and mappings: refused by name.
        func number(_ node: Node, _ key: String) throws -> Double {
            if node.sequence != nil || node.mapping != nil {
                throw r.error(key, node, "expected a number (mergekit's per-layer gradients and filtered values are not supported)")
            }
            return try r.number(node, key)
        }
        let methods = MergeMethod.allCases.map(\.rawValue).joined(separator: ", ")
        guard let methodNode = top["merge_method"] else { throw r.error("merge_method", root, "missing (one of: \(methods))") }
        let methodName = try r.string(methodNode, "merge_method")
        guard let method = MergeMethod(rawValue: methodName) else {
            throw r.error("merge_method", methodNode, "unknown method '\(methodName)' (expected one of: \(methods))")
        }
        var settings = MergeSettings(method: method)
        let global = try top["parameters"].map { try r.mapping($0, "parameters", allowed: globalKeys) } ?? [:]
        var defaultWeight: Double?, defaultDensity = 1.0
        var rescale = true
        for (key, node) in global.sorted(by: { ($0.value.mark?.line ?? 0) < ($1.value.mark?.line ?? 0) }) {
            let path = "parameters.\(key)"
            if let methods = applicable[key], !methods.contains(method) {
                throw r.error(path, node, "\(method.rawValue) does not use it (it applies to \(methods.map(\.rawValue).sorted().joined(separator: ", ")))")
            }
            switch key {
            case "lambda": settings.lambda = try number(node, path)
            case "normalize": settings.normalize = try r.bool(node, path)
            case "density":
                defaultDensity = try number(node, path)
                guard defaultDensity > 0, defaultDensity <= 1 else { throw r.error(path, node, "expected a number in (0, 1] (the fraction of entries kept), found \(defaultDensity)") }
            case "weight": defaultWeight = try number(node, path)
            case "rescale": rescale = try r.bool(node, path)
            case "trim_scope":
                let text = try r.string(node, path)
                guard let scope = TrimScope(rawValue: text) else { throw r.error(path, node, "expected per_tensor or global, found '\(text)'") }
                settings.trimScope = scope
            case "seed": settings.seed = try r.seed(node, path)
            case "fisher_floor": settings.fisherFloor = try number(node, path)
            case "normalize_fishers": settings.normalizeFishers = try r.bool(node, path)
            default: settings.favorFirst = try r.bool(node, path)
            }
        }
        settings.rescale = rescale
        let base = try top["base_model"].map { try r.string($0, "base_model") }
        if method.needsBase && base == nil { throw r.error("base_model", root, "missing: \(method.rawValue) merges differences from a base model") }
        if !method.needsBase, base != nil {
            throw r.error("base_model", top["base_model"], "\(method.rawValue) does not use a base model; remove it (or list it under 'models' to average it in)")
        }
        guard let list = top["models"]?.sequence, !list.isEmpty else {
            throw r.error("models", top["models"] ?? root, "missing or empty: expected a list of {model: PATH, parameters: {...}}")
        }
        var models: [Model] = []
        for (i, node) in list.enumerated() {
            let path = "models[\(i)]"
            let entry = try r.mapping(node, path, allowed: ["model", "parameters"])
            guard let modelNode = entry["model"] else { throw r.error("\(path).model", node, "missing: the path of a checkpoint") }
            let modelPath = try r.string(modelNode, "\(path).model")
            let parameters = try entry["parameters"].map { try r.mapping($0, "\(path).parameters", allowed: modelKeys) } ?? [:]
            let weight = try parameters["weight"].map { try number($0, "\(path).parameters.weight") } ?? defaultWeight
            guard let weight else {
                throw r.error("\(path).parameters.weight", entry["parameters"] ?? node, "missing (mergekit requires a weight for every model; or set parameters.weight for all)")
            }
            let density = try parameters["density"].map { try number($0, "\(path).parameters.density") } ?? defaultDensity
            let densityKey = parameters["density"] != nil || global["density"] == nil ? "\(path).parameters.density" : "parameters.density"
            guard density > 0, density <= 1 else {
                throw r.error("\(path).parameters.density", parameters["density"], "expected a number in (0, 1] (the fraction of entries kept), found \(density)")
            }
            let fisher = try parameters["fisher"].map { try r.string($0, "\(path).parameters.fisher") }
            if method == .fisher && fisher == nil {
                throw r.error("\(path).parameters.fisher", entry["parameters"] ?? node, "missing: fisher merging needs each model's diagonal Fisher (from mtk fisher)")
            }
            if method != .fisher && fisher != nil { throw r.error("\(path).parameters.fisher", parameters["fisher"], "only fisher merging uses a Fisher") }
            if !method.usesDensity && density != 1 {
                throw r.error("\(path).parameters.density", parameters["density"], "\(method.rawValue) does not trim or drop; density means nothing here")
            }
            models.append(Model(path: modelPath, input: MergeInput(weight: weight, density: density), fisher: fisher, densityKey: densityKey))
        }
        if let base, method.needsBase, let i = models.firstIndex(where: { $0.path == base }) {
            throw r.error("models", list[i], "the base model '\(base)' is also listed as a model; its task vector is zero, so remove it (its weight would still count when normalising)")
        }
        do { try settings.check(models.map(\.input)) } catch let error as ConfigurationError {
            // "merge: KEY: message": at the key's line.
            let text = error.message.hasPrefix("merge: ") ? String(error.message.dropFirst(7)) : error.message
            guard let colon = text.range(of: ": "), !text[..<colon.lowerBound].contains(" ") else { throw r.error("", nil, text) }
            throw ConfigFileError(source: source, lines: r.lines, key: String(text[..<colon.lowerBound]), message: String(text[colon.upperBound...]))
        }
        let dtypeKey = top["out_dtype"] != nil ? "out_dtype" : "dtype"
        let dtype = try top[dtypeKey].map { node -> SafetensorsDType in
            let text = try r.string(node, dtypeKey)
            let known: [String: SafetensorsDType] = ["float32": .f32, "float16": .f16, "bfloat16": .bf16]
            guard let dtype = known[text] else { throw r.error(dtypeKey, node, "expected float32, float16 or bfloat16, found '\(text)'") }
            return dtype
        }
        let include = try top["include"].map { try r.strings($0, "include") } ?? []
        let exclude = try top["exclude"].map { try r.strings($0, "exclude") } ?? []
        return MergeConfig(settings: settings, base: base, models: models, dtype: dtype, include: include, exclude: exclude, text: yaml, source: source, lines: r.lines)
    }

    /// An error about `key` found after parsing (in the files it names), at the key's line.
    func error(_ key: String, _ message: String) -> ConfigFileError {
        ConfigFileError(source: source, lines: lines, key: key, message: message)
    }

    /// Whether tensor `name` is merged: it matches an `include` pattern (or there are none) and no `exclude` pattern.
    public func merges(_ name: String) -> Bool {
        (include.isEmpty || include.contains { Self.matches(name, $0) }) && !exclude.contains { Self.matches(name, $0) }
    }

    /// Shell-style matching (`*`, `?`, `[...]`), `*` crossing dots.
    static func matches(_ name: String, _ pattern: String) -> Bool { fnmatch(pattern, name, 0) == 0 }
}
