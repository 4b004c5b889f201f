import Files
import Foundation
import NN

/// A merge of checkpoints on disk (`mtk merge`): every input opened, memory-mapped and checked
/// against the others — names, shapes, dtypes, name filters — before any output exists; then
/// streamed tensor by tensor into a fresh output directory that appears whole or not at all.
public struct CheckpointMerge {
    /// One output tensor: merged, or copied from `source`.
    struct Planned {
        var name: String
        var shape: [Int]
        var dtype: SafetensorsDType
        var source: MergeRole?
    }

    public let config: MergeConfig
    let checkpoints: [MergeRole: SafetensorsCheckpoint]
    let layout: [Planned]
    /// What the plan decided that a user should know (tensors copied rather than merged).
    public private(set) var notes: [String] = []

    /// Bytes of input the merge reads once (every input's share of the output tensors).
    public var inputBytes: Int { layout.reduce(0) { $0 + inputBytes(of: $1) } }

    /// Bytes of input one output tensor reads: its source's, or every input's share when merged.
    private func inputBytes(of tensor: Planned) -> Int {
        let roles = tensor.source.map { [$0] } ?? Array(checkpoints.keys)
        return roles.reduce(0) { $0 + (checkpoints[$1]!.entry(tensor.name)?.byteRange.count ?? 0) }
    }
    /// Bytes of tensor data written.
    public var outputBytes: Int { layout.reduce(0) { $0 + $1.shape.reduce(1, *) * $1.dtype.byteSize } }
    /// How many tensors are merged (the rest are copied).
    public var mergedCount: Int { layout.filter { $0.source == nil }.count }

    /// Opens and checks every input of `config`; errors name the config key and the file.
    public init(_ config: MergeConfig) throws {
        self.config = config
        let fail = config.error
        func open(_ path: String, _ key: String) throws -> SafetensorsCheckpoint {
            do { return try SafetensorsCheckpoint(path: path) } catch { throw fail(key, "\(error)") }
        }
        var checkpoints: [MergeRole: SafetensorsCheckpoint] = [:]
        var keys: [MergeRole: String] = [:]
        if let base = config.base { (checkpoints[.base], keys[.base]) = (try open(base, "base_model"), "base_model") }
        for (i, model) in config.models.enumerated() {
            (checkpoints[.model(i)], keys[.model(i)]) = (try open(model.path, "models[\(i)].model"), "models[\(i)].model")
            if let fisher = model.fisher {
                (checkpoints[.fisher(i)], keys[.fisher(i)]) = (try open(fisher, "models[\(i)].parameters.fisher"), "models[\(i)].parameters.fisher")
            }
        }
        // The base given again as a model under another path (a link, a copy's hard link).
        if let base = checkpoints[.base] {
            for i in config.models.indices where Self.sameFiles(base, checkpoints[.model(i)]!) {
                throw fail("models[\(i)].model", "\(config.models[i].path) is the base model's file (\(base.path)) under another name; its task vector is zero, so remove it")
            }
        }
        let referenceRole: MergeRole = config.base == nil ? .model(0) : .base
        let reference = checkpoints[referenceRole]!
        let referenceKey = keys[referenceRole]!

        for (i, pattern) in config.include.enumerated() where !reference.names.contains(where: { MergeConfig.matches($0, pattern) }) {
            throw fail("include[\(i)]", "'\(pattern)' matches no tensor of \(referenceKey) (it has \(reference.names.prefix(4).joined(separator: ", "))\(reference.names.count > 4 ? ", ..." : ""))")
        }
        for (i, pattern) in config.exclude.enumerated() where !reference.names.contains(where: { MergeConfig.matches($0, pattern) }) {
            throw fail("exclude[\(i)]", "'\(pattern)' matches no tensor of \(referenceKey)")
        }
        let floats: Set<SafetensorsDType> = [.f32, .f16, .bf16, .f64]
        var layout: [Planned] = []
        var copiedIntegers: [String] = []
        for tensor in reference.tensors {
            let entry = tensor.entry
            let merged = config.merges(entry.name) && floats.contains(entry.dtype)
            if config.merges(entry.name) && !merged { copiedIntegers.append(entry.name) }
            let dtype = floats.contains(entry.dtype) ? (config.dtype ?? entry.dtype) : entry.dtype
            layout.append(Planned(name: entry.name, shape: entry.shape, dtype: dtype, source: merged ? nil : referenceRole))
        }
        guard layout.contains(where: { $0.source == nil }) else {
            throw fail(config.exclude.isEmpty ? "include" : "exclude", "no floating-point tensor of \(referenceKey) is left to merge")
        }
        var mixed: Set<String> = []  // inputs whose merged tensors' dtypes differ from the reference's
        let mergedNames = Set(layout.filter { $0.source == nil }.map(\.name))
        let allNames = Set(reference.names)
        for (role, checkpoint) in checkpoints.sorted(by: { keys[$0.key]! < keys[$1.key]! }) {
            let key = keys[role]!
            if !role.isFisher, checkpoint.files.contains(where: { FisherInformation.marks($0.metadata) }) {
                throw fail(key, "\(checkpoint.path) is a Fisher diagonal (written by mtk fisher), not a model's weights")
            }
            guard role != referenceRole else { continue }
            // Merged tensors must be everywhere; tensors copied from the reference need not be.
            let have = Set(checkpoint.names)
            let missing = mergedNames.subtracting(have).sorted()
            if !missing.isEmpty {
                let hint = role.isFisher ? " (leave tensors that have no Fisher, such as buffers, out with 'exclude')" : " (leave them out with 'exclude' to copy them from \(referenceKey))"
                throw fail(key, "\(checkpoint.path) lacks \(missing.count) tensor(s) of \(referenceKey) that would be merged: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")\(hint)")
            }
            let extra = role.isFisher ? [] : have.subtracting(allNames).filter(config.merges).sorted()
            if !extra.isEmpty { throw fail(key, "\(checkpoint.path) has \(extra.count) tensor(s) that \(referenceKey) lacks: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")") }
            for tensor in layout where tensor.source == nil {
                let entry = checkpoint.entry(tensor.name)!
                guard entry.shape == tensor.shape else {
                    throw fail(key, "tensor '\(tensor.name)' has shape \(entry.shape) in \(checkpoint.path) but \(tensor.shape) in \(referenceKey)")
                }
                guard floats.contains(entry.dtype) else {
                    throw fail(key, "tensor '\(tensor.name)' is \(entry.dtype.rawValue) in \(checkpoint.path); a merged tensor must be a floating-point type (F32, F16, BF16, F64)")
                }
                if !role.isFisher, config.dtype == nil, entry.dtype != reference.entry(tensor.name)!.dtype { mixed.insert(key) }
            }
        }
        // TIES's trim must keep at least one entry of each tensor (or of the model).
        if config.settings.method == .ties {
            for model in config.models where model.input.density < 1 {
                let counts = config.settings.trimScope == .global ? [("the merged tensors", layout.filter { $0.source == nil }.reduce(0) { $0 + $1.shape.reduce(1, *) })]
                    : layout.filter { $0.source == nil }.map { ("'\($0.name)'", $0.shape.reduce(1, *)) }
                if let (what, n) = counts.first(where: { Int(model.input.density * Double($0.1)) == 0 && $0.1 > 0 }) {
                    throw fail(model.densityKey, "\(model.input.density) keeps no entry of \(what) (\(n) entries; k = ⌊density · n⌋ = 0): raise the density, use trim_scope: global, or leave the tensor out with 'exclude'")
                }
            }
        }
        if let (i, message) = config.settings.vanishingDrop(config.models.map(\.input), tensors: layout.filter { $0.source == nil }.map { ($0.name, $0.shape.reduce(1, *)) }) {
            throw fail(config.models[i].densityKey, message)
        }
        self.checkpoints = checkpoints
        self.layout = layout
        if !copiedIntegers.isEmpty {
            notes.append("\(copiedIntegers.count) integer tensor(s) copied from \(referenceKey), not merged: \(copiedIntegers.prefix(3).joined(separator: ", "))\(copiedIntegers.count > 3 ? ", ..." : "")")
        }
        if !mixed.isEmpty {
            notes.append("the merged tensors of \(mixed.sorted().joined(separator: ", ")) are not in \(referenceKey)'s dtype; the output keeps \(referenceKey)'s (set dtype to choose)")
        }
        let excluded = layout.filter { $0.source != nil }.count - copiedIntegers.count
        if excluded > 0 { notes.append("\(excluded) tensor(s) left out by include/exclude, copied from \(referenceKey)") }
    }

    /// Whether two checkpoints are the same files on disk (device and inode), whatever their paths.
    static func sameFiles(_ a: SafetensorsCheckpoint, _ b: SafetensorsCheckpoint) -> Bool {
        func identity(_ url: URL) -> [UInt64]? {
            var info = stat()
            return stat(url.path, &info) == 0 ? [UInt64(info.st_dev), UInt64(info.st_ino)] : nil
        }
        let left = a.files.map { identity($0.url) }, right = b.files.map { identity($0.url) }
        return !left.contains(nil) && left == right
    }

    /// The files a finished merge holds, besides the weights.
    static let configFile = "mergekit_config.yml"

    /// Writes the merged checkpoint into the directory `url` (created whole, or replaced with
    /// `overwrite` when it holds an earlier merge's output and nothing else): `model.safetensors`,
    /// or shards of at most `maxShardBytes` and their index, plus the config as `mergekit_config.yml`.
    /// `progress(bytesRead, inputBytes)` is called as the inputs are streamed.
    public func write(to url: URL, maxShardBytes: Int, overwrite: Bool = false, progress: (Int, Int) -> Void = { _, _ in },
                      shouldStop: @escaping () -> Bool = { false }) throws -> [String] {
        guard maxShardBytes > 0 else { throw ConfigurationError("merge: the shard size must be positive, got \(maxShardBytes)") }
        try checkOutput(url, overwrite: overwrite)
        let names = layout.map(\.name)
        var engine = MergeEngine(
            settings: config.settings, inputs: config.models.map(\.input),
            tensors: layout.map { MergeEngine.Tensor(name: $0.name, count: $0.shape.reduce(1, *), source: $0.source) },
            read: { role, position, range, buffer in checkpoints[role]!.decode(names[position], elements: range, into: buffer) },
            release: { role, position, range in checkpoints[role]!.release(names[position], elements: range) },
            describe: { role in checkpoints[role].map { "\(role) (\($0.path))" } ?? role.description })
        engine.shouldStop = shouldStop
        let total = inputBytes
        var done = 0
        var files: [String] = []
        let replace: ((URL) throws -> Void)? = overwrite ? { try Self.checkReplaceable($0) } : Self.isEmptyDirectory(url) ? { _ in } : nil
        try AtomicDirectory.write(to: url, replace: replace) { staging in
            var prepared = try engine.prepare()
            let layout = self.layout.map { ($0.name, $0.shape, $0.dtype) }
            let produce = { (position: Int, emit: (UnsafeBufferPointer<Float>) throws -> Void) throws in
                let tensor = self.layout[position]
                try engine.produce(position, prepared: &prepared) { chunk in
                    try Self.checkRange(chunk, dtype: tensor.dtype, tensor: tensor.name)
                    try emit(chunk)
                }
                done += inputBytes(of: tensor)
                progress(done, total)
            }

            let metadata = ["format": "pt"]
            if outputBytes <= maxShardBytes {
                try Safetensors.writeStreaming(layout, metadata: metadata, to: staging.appendingPathComponent("model.safetensors"), produce: produce)
            } else {
                _ = try Safetensors.writeShardedStreaming(layout, metadata: metadata, maxShardBytes: maxShardBytes, to: staging, produce: produce)
            }
            try AtomicWrite.write(Data(config.text.utf8), to: staging.appendingPathComponent(Self.configFile))
            files = try FileManager.default.contentsOfDirectory(atPath: staging.path).sorted()
        }
        return files
    }

    /// Values that the output dtype cannot hold (F16 above 65504, say) are an error, not infinities.
    static func checkRange(_ values: UnsafeBufferPointer<Float>, dtype: SafetensorsDType, tensor: String) throws {
        let limit: Float
        switch dtype {
        case .f16: limit = 65519.996  // rounds to 65504; from 65520 on, to infinity
        case .bf16: limit = Float(bitPattern: 0x7F7F_7FFF)  // rounds to bfloat16's largest; above, to infinity
        default: return
        }
        if let value = values.first(where: { Swift.abs($0) > limit }) {
            throw ConfigurationError("merge: tensor '\(tensor)': the merged value \(value) does not fit in \(dtype.rawValue) (it would be stored as infinity); choose another dtype")
        }
    }

    /// Refuses an output that would overwrite or contain an input, or that does not fit on its disk.
    private func checkOutput(_ url: URL, overwrite: Bool) throws {
        guard !url.path.isEmpty, url.lastPathComponent != "", url.lastPathComponent != "." else { throw ConfigurationError("merge: the output needs a directory name") }
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil {
            throw ConfigurationError("merge: the output \(url.path) is a symbolic link; give the directory it points to")
        }
        let output = url.standardizedFileURL.resolvingSymlinksInPath().path
        for checkpoint in checkpoints.values {
            for file in checkpoint.files {
                let input = file.url.standardizedFileURL.resolvingSymlinksInPath().path
                if input == output || input.hasPrefix(output + "/") {
                    throw ConfigurationError("merge: the output \(url.path) holds the input \(file.url.path); write somewhere else")
                }
            }
        }
        if FileManager.default.fileExists(atPath: url.path) && !overwrite && !Self.isEmptyDirectory(url) {
            throw ConfigurationError("merge: the output \(url.path) exists; add --overwrite to replace an earlier merge's output")
        }
        var stats = statvfs()
        let parent = url.deletingLastPathComponent().path
        if statvfs(parent, &stats) == 0 {
            let free = Int(stats.f_bavail) * Int(stats.f_frsize)
            if free < outputBytes + (1 << 20) {
                throw ConfigurationError("merge: \(parent) has \(free) bytes free, and the merged checkpoint needs \(outputBytes) bytes (and 1 MiB to spare)")
            }
        }
    }

    /// An existing output may be replaced only when it is empty or holds a merge's files (its
    /// config among them) and nothing else.
    static func checkReplaceable(_ url: URL) throws {
        if isEmptyDirectory(url) { return }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let foreign = entries.filter { name in
            !(name == configFile || name == "model.safetensors" || name == "model.safetensors.index.json" ||
              (name.hasPrefix("model-") && name.hasSuffix(".safetensors")))
        }.sorted()
        let why = !isDirectory.boolValue ? "it is not a directory"
            : !foreign.isEmpty ? "it holds \(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", ..." : "")"
            : "it has no \(configFile), which every merge's output has"
        guard isDirectory.boolValue, foreign.isEmpty, entries.contains(configFile) else {
            throw ConfigurationError("merge: \(url.path) is not an earlier merge's output (\(why)); not replaced")
        }
    }

    /// Whether `url` is a directory (not a link to one) with nothing in it.
    static func isEmptyDirectory(_ url: URL) -> Bool {
        var info = stat()
        guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
        return ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? ["?"]).isEmpty
    }
}

extension MergeRole {
    var isFisher: Bool { if case .fisher = self { true } else { false } }
}
