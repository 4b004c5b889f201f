import Files
import Foundation
@testable import MultiTask
import NN
import Tensors
import TestSupport
import Testing

/// `mtk merge`'s library side: configs in mergekit's vocabulary, merges of files written by
/// PyTorch (Tests/Fixtures/merge, from scripts/make_merge_fixtures.py) checked against torch's
/// float64 results, dtypes, sharding, and every refusal before any output exists.
@Suite("Checkpoint merges")
struct CheckpointMergeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/merge")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// Writes `yaml` to a config file in `directory`, merges into `out` and returns the result.
    func merge(_ yaml: String, in directory: TemporaryDirectory, out: String = "out", shard: Int = 5_000_000_000, overwrite: Bool = false) throws -> ParameterSet {
        let config = try directory.write(Array(yaml.utf8), to: "merge.yaml")
        let plan = try CheckpointMerge(try MergeConfig.load(config.path))
        _ = try plan.write(to: directory.file(out), maxShardBytes: shard, overwrite: overwrite)
        return try load(directory.file(out).path)
    }

    func load(_ path: String) throws -> ParameterSet {
        let checkpoint = try SafetensorsCheckpoint(path: path)
        return ParameterSet(try checkpoint.files.flatMap { try $0.tensors() }.map { ($0.name, $0.tensor) })
    }

    func expected(_ name: String) throws -> ParameterSet { try load(Self.fixture("expected_\(name).safetensors")) }

    static let methods: [(name: String, yaml: String)] = [
        ("task_arithmetic", """
         merge_method: task_arithmetic
         base_model: \(fixture("base.safetensors"))
         models:
           - {model: \(fixture("ft1.safetensors")), parameters: {weight: 1.0}}
           - {model: \(fixture("ft2_sharded")), parameters: {weight: 0.5}}
         parameters: {lambda: 0.7}
         """),
        ("ties", """
         merge_method: ties
         base_model: \(fixture("base.safetensors"))
         models:
           - model: \(fixture("ft1.safetensors"))
             parameters: {weight: 1.0}
           - model: \(fixture("ft2.safetensors"))
             parameters: {weight: 0.5}
         parameters: {density: 0.5}
         """),
        ("linear", """
         merge_method: linear
         models:
           - {model: \(fixture("ft1.safetensors")), parameters: {weight: 1}}
           - {model: \(fixture("ft2_sharded/model.safetensors.index.json")), parameters: {weight: 3}}
         """),
        ("fisher", """
         merge_method: fisher
         models:
           - {model: \(fixture("ft1.safetensors")), parameters: {weight: 1, fisher: \(fixture("fisher1.safetensors"))}}
           - {model: \(fixture("ft2.safetensors")), parameters: {weight: 1, fisher: \(fixture("fisher2.safetensors"))}}
         """),
    ]

    /// Every method on PyTorch-written files (one input sharded with an index) gives torch's
    /// float64 result rounded once, bit for bit; Fisher merging within an ulp (torch sums the
    /// Fishers' norms in another order).
    @Test(arguments: methods.map(\.name))
    func mergesPyTorchFilesAsTorchDoes(method: String) throws {
        let directory = try TemporaryDirectory()
        let merged = try merge(Self.methods.first { $0.name == method }!.yaml, in: directory)
        let reference = try expected(method)
        #expect(merged.names.sorted() == reference.names.sorted())
        for name in reference.names {
            let (a, b) = (merged[name]!.scalars, reference[name]!.scalars)
            if method == "fisher" {
                #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) <= $1.ulp.magnitude }, "\(name)")
            } else {
                #expect(a == b, "\(name): largest difference \(zip(a, b).map { Swift.abs($0 - $1) }.max()!)")
            }
        }
        #expect(try directory.contents() == ["merge.yaml", "out"], "no staging directory left behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out").path).sorted() == ["mergekit_config.yml", "model.safetensors"])
        // The same merge in memory gives the same bits.
        if method == "task_arithmetic" {
            let inMemory = try ModelMerge.merge([try load(Self.fixture("ft1.safetensors")), try load(Self.fixture("ft2.safetensors"))], base: try load(Self.fixture("base.safetensors")),
                                                inputs: [.init(weight: 1), .init(weight: 0.5)], settings: { var s = MergeSettings(method: .taskArithmetic); s.lambda = 0.7; return s }())
            #expect(reference.names.allSatisfy { inMemory[$0]! == merged[$0]! })
        }
    }

    /// Sharded output: shards of at most the size asked, an index, and the same tensors.
    @Test func shardsTheOutput() throws {
        let directory = try TemporaryDirectory()
        let merged = try merge(Self.methods[0].yaml, in: directory, shard: 700)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("out").path).sorted()
        #expect(files.contains("model.safetensors.index.json") && files.filter { $0.hasPrefix("model-") }.count > 2, "\(files)")
        let reference = try expected("task_arithmetic")
        #expect(reference.names.allSatisfy { merged[$0]! == reference[$0]! })
    }

    /// BF16 inputs widen exactly: one task vector at λ = 1 on bf16 files gives back the bf16 model
    /// bit for bit, stored as BF16 (the inputs' dtype). `dtype: bfloat16` on F32 inputs rounds
    /// each merged value to nearest even.
    @Test func halfPrecisionWidensExactlyAndRoundsToNearestEven() throws {
        let directory = try TemporaryDirectory()
        let same = try merge("""
            merge_method: task_arithmetic
            base_model: \(Self.fixture("base_bf16.safetensors"))
            models: [{model: \(Self.fixture("ft1_bf16.safetensors")), parameters: {weight: 1}}]
            """, in: directory)
        let tuned = try load(Self.fixture("ft1_bf16.safetensors"))
        #expect(tuned.names.allSatisfy { same[$0]! == tuned[$0]! })
        let file = try SafetensorsCheckpoint(path: directory.file("out").path)
        #expect(file.tensors.allSatisfy { $0.entry.dtype == .bf16 })

        let rounded = try merge(Self.methods[0].yaml + "\ndtype: bfloat16\n", in: directory, out: "bf16")
        let exact = try expected("task_arithmetic")
        for name in exact.names {
            #expect(rounded[name]!.scalars == exact[name]!.scalars.map { HalfPrecision.float(fromBF16: HalfPrecision.bf16Bits($0)) })
        }
    }

    /// Integer tensors (BatchNorm's num_batches_tracked) are copied from the base, not merged; name
    /// filters copy the heads.
    @Test func copiesIntegerTensorsAndFilteredOutOnes() throws {
        let directory = try TemporaryDirectory()
        let base = ParameterSet([("trunk.w", Tensor([1, 2])), ("trunk.bn.num_batches_tracked", Tensor([7])), ("heads.a.w", Tensor([5]))])
        let tuned = ParameterSet([("trunk.w", Tensor([2, 4])), ("trunk.bn.num_batches_tracked", Tensor([9])), ("heads.a.w", Tensor([6]))])
        for (name, set) in [("base", base), ("ft", tuned)] {
            try Safetensors.writeStreaming(set.map { ($0.name, $0.tensor.shape, $0.name.hasSuffix("tracked") ? SafetensorsDType.i64 : .f32) }, to: directory.file("\(name).safetensors")) { position, emit in
                try set.tensors[position].withUnsafeBufferPointer { try emit($0) }
            }
        }
        let config = try directory.write(Array("""
            merge_method: task_arithmetic
            base_model: \(directory.file("base.safetensors").path)
            models: [{model: \(directory.file("ft.safetensors").path), parameters: {weight: 2}}]
            exclude: ["heads.*"]
            """.utf8), to: "merge.yaml")
        let plan = try CheckpointMerge(try MergeConfig.load(config.path))
        #expect(plan.mergedCount == 1 && plan.notes.count == 2, "\(plan.notes)")
        _ = try plan.write(to: directory.file("out"), maxShardBytes: 1 << 30)
        let merged = try load(directory.file("out").path)
        #expect(merged["trunk.w"]!.scalars == [3, 6] && merged["heads.a.w"]!.scalars == [5] && merged["trunk.bn.num_batches_tracked"]!.scalars == [7])
        #expect(try SafetensorsCheckpoint(path: directory.file("out").path).entry("trunk.bn.num_batches_tracked")?.dtype == .i64)
    }

    /// Bad configs: each error names the file, the line and the key, and nothing is opened or written.
    @Test(arguments: [
        ("merge_method: ties\nmodels: [{model: a, parameters: {weight: 1}}]", "base_model", 1),
        ("merge_method: nope\nmodels: []", "merge_method", 1),
        ("models: [{model: a}]", "merge_method", 1),
        ("merge_method: linear\nmodels: [{model: a}]", "models[0].parameters.weight", 2),
        ("merge_method: linear\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1}}]", "base_model", 2),
        ("merge_method: ties\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1, density: 1.5}}]", "models[0].parameters.density", 3),
        ("merge_method: task_arithmetic\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1, density: 0.5}}]", "models[0].parameters.density", 3),
        ("merge_method: linear\nmodels: [{model: a, parameters: {weight: [0, 1]}}]", "models[0].parameters.weight", 2),
        ("merge_method: linear\nslices: []\nmodels: [{model: a, parameters: {weight: 1}}]", "slices", 2),
        ("merge_method: linear\nmodels: [{model: a, parameters: {weight: 1, wieght: 2}}]", "models[0].parameters.wieght", 2),
        ("merge_method: linear\ndtype: float8\nmodels: [{model: a, parameters: {weight: 1}}]", "dtype", 2),
        ("merge_method: fisher\nmodels: [{model: a, parameters: {weight: 1}}]", "models[0].parameters.fisher", 2),
        ("merge_method: task_arithmetic\nbase_model: a\nmodels: [{model: a, parameters: {weight: 1}}]", "models", 3),
        ("merge_method: ties\nbase_model: b\nparameters: {trim_scope: everywhere}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.trim_scope", 3),
        ("merge_method: task_arithmetic\nbase_model: b\nparameters: {lambda: .nan}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.lambda", 3),
        ("- just\n- a list", "", 1),
        ("merge_method: linear\nparameters: {density: 0.3}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.density", 2),
        ("merge_method: linear\nparameters: {lambda: 2}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.lambda", 2),
        ("merge_method: task_arithmetic\nbase_model: b\nparameters: {seed: 3}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.seed", 3),
        ("merge_method: dare_ties\nbase_model: b\nparameters: {seed: 18446744073709551616}\nmodels: [{model: a, parameters: {weight: 1}}]", "parameters.seed", 3),
        ("merge_method: fisher\nmodels: [{model: a, parameters: {weight: 0, fisher: f}}]", "models[0].parameters.weight", 2),
        ("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1e-301}", "models[0].parameters.weight", 4),
        ("merge_method: fisher\nparameters:\n  fisher_floor: 1e31\nmodels: [{model: a, parameters: {weight: 1, fisher: f}}]", "parameters.fisher_floor", 3),
        ("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1, weight: 2}", "weight", 4),
        ("merge_method: linear\nmodels:\n  - model: a\n    model: b\n    parameters: {weight: 1}", "model", 4),
        ("\"merge_method\": ties\nmerge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]", "merge_method", 2),
        ("merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\nmerge_method: ties", "merge_method", 3),
        ("merge_method: task_arithmetic\nbase_model: ~\nmodels: [{model: a, parameters: {weight: 1}}]", "base_model", 2),
        ("merge_method: linear\nmodels:\n  - model: a\n    parameters:\n      weight: 1\n      normalize: yes", "models[0].parameters.normalize", 6),
        ("merge_method: ties\nbase_model: b\nmodels: [{model: a, parameters: {weight: 1}}]\nparameters:\n  normalize: maybe", "parameters.normalize", 5),
        ("merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n  bad: [", "", 3),
    ])
    func refusesBadConfigs(yaml: String, key: String, line: Int?) throws {
        do {
            _ = try MergeConfig.parse(yaml: yaml, source: "c.yaml")
            Issue.record("accepted: \(yaml)")
        } catch let error as ConfigFileError {
            #expect(error.key == key && error.line == line, "\(error)")
            #expect(error.description.hasPrefix("c.yaml\(line.map { ":\($0)" } ?? ""): "))
        }
    }

    /// Merges whose result would silently be the base, zero or something else than asked are
    /// refused: weights that overflow or underflow, all weights 0, a DARE density that drops every
    /// entry, NaN in a tensor that is only copied, the base given again under another path.
    /// Inputs of mixed dtypes get a note saying whose the output keeps.
    @Test func degenerateMergesAreRefused() throws {
        let directory = try TemporaryDirectory()
        try Safetensors.write([("w", Tensor([1, 2])), ("v", Tensor([3]))], to: directory.file("base.safetensors"))
        try Safetensors.write([("w", Tensor([2, 3])), ("v", Tensor([4]))], to: directory.file("a.safetensors"))
        try Safetensors.write([("w", Tensor([2, 3])), ("v", Tensor([4]))], dtype: .bf16, to: directory.file("b.safetensors"))
        try Safetensors.write([("w", Tensor([1, 2])), ("v", Tensor([.nan]))], to: directory.file("nanbase.safetensors"))
        symlink(directory.file("base.safetensors").path, directory.file("link.safetensors").path)
        let (base, a, b) = (directory.file("base.safetensors").path, directory.file("a.safetensors").path, directory.file("b.safetensors").path)
        let cases: [(String, String)] = [
            ("merge_method: linear\nmodels: [{model: \(a), parameters: {weight: 1e308}}, {model: \(b), parameters: {weight: 1e308}}]", "magnitude 1e-300 to 1e300"),
            ("merge_method: linear\nmodels: [{model: \(a), parameters: {weight: 1e-320}}, {model: \(b), parameters: {weight: 1e-320}}]", "magnitude 1e-300 to 1e300"),
            ("merge_method: ties\nbase_model: \(base)\nmodels: [{model: \(a), parameters: {weight: 0}}, {model: \(b), parameters: {weight: 0}}]", "every model's weight is 0"),
            ("merge_method: dare_linear\nbase_model: \(base)\nmodels: [{model: \(a), parameters: {weight: 1, density: 0.1}}]", "models[0].parameters.density: 0.1 keeps on average 0.20 of the 2 entries of 'w'"),
            ("merge_method: task_arithmetic\nbase_model: \(directory.file("nanbase.safetensors").path)\nmodels: [{model: \(a), parameters: {weight: 1}}]\nexclude: [v]", "holds NaN"),
            ("merge_method: task_arithmetic\nbase_model: \(directory.file("link.safetensors").path)\nmodels: [{model: \(base), parameters: {weight: 1}}]", "models[0].model: \(base) is the base model's file"),
        ]
        for (yaml, expected) in cases {
            #expect { _ = try merge(yaml, in: directory) } throws: { "\($0)".contains(expected) }
            #expect(!FileManager.default.fileExists(atPath: directory.file("out").path), "\(expected)")
        }
        let config = try directory.write(Array("merge_method: linear\nmodels: [{model: \(a), parameters: {weight: 1}}, {model: \(b), parameters: {weight: 1}}]".utf8), to: "mixed.yaml")
        let plan = try CheckpointMerge(try MergeConfig.load(config.path))
        #expect(plan.notes == ["the merged tensors of models[1].model are not in models[0].model's dtype; the output keeps models[0].model's (set dtype to choose)"], "\(plan.notes)")
    }

    /// Bad inputs (errors at the config's line): missing files, mismatched names or shapes, filters that match nothing, NaN, an
    /// output that exists or holds an input. Nothing is written (no output, no staging directory).
    @Test func refusesBadInputsBeforeWriting() throws {
        let directory = try TemporaryDirectory()
        let good = ParameterSet([("w", Tensor([1, 2])), ("v", Tensor([3]))])
        try Safetensors.write(Array(good), to: directory.file("base.safetensors"))
        try Safetensors.write(Array(good * 2), to: directory.file("ft.safetensors"))
        try Safetensors.write([("w", Tensor([1, 2, 3])), ("v", Tensor([3]))], to: directory.file("shape.safetensors"))
        try Safetensors.write([("w", Tensor([1, 2]))], to: directory.file("fewer.safetensors"))
        try Safetensors.write([("w", Tensor([1, .nan])), ("v", Tensor([3]))], to: directory.file("nan.safetensors"))
        func config(_ model: String, extra: String = "") -> String {
            "merge_method: task_arithmetic\nbase_model: \(directory.file("base.safetensors").path)\nmodels: [{model: \(model), parameters: {weight: 1}}]\n\(extra)"
        }
        let cases: [(String, String)] = [
            (config(directory.file("missing.safetensors").path), "merge.yaml:3: models[0].model"),
            (config(directory.file("shape.safetensors").path), "shape"),
            (config(directory.file("fewer.safetensors").path), "lacks 1 tensor"),
            (config(directory.file("ft.safetensors").path, extra: "include: [\"trunk.*\"]"), "merge.yaml:4: include[0]"),
            (config(directory.file("nan.safetensors").path), "NaN"),
        ]
        for (yaml, expected) in cases {
            let before = try directory.contents()
            #expect { _ = try merge(yaml, in: directory) } throws: { "\($0)".contains(expected) }
            #expect(try directory.contents().filter { $0 != "merge.yaml" } == before.filter { $0 != "merge.yaml" }, "\(expected)")
        }
        // The output exists: refused without --overwrite; replaced with it; a foreign directory never.
        _ = try merge(config(directory.file("ft.safetensors").path), in: directory)
        #expect(throws: ConfigurationError.self) { _ = try merge(config(directory.file("ft.safetensors").path), in: directory) }
        _ = try merge(config(directory.file("ft.safetensors").path), in: directory, overwrite: true)
        try FileManager.default.createDirectory(at: directory.file("mine"), withIntermediateDirectories: false)
        _ = try directory.write([1], to: "mine/notes.txt")
        #expect(throws: ConfigurationError.self) { _ = try merge(config(directory.file("ft.safetensors").path), in: directory, out: "mine", overwrite: true) }
        #expect(FileManager.default.fileExists(atPath: directory.file("mine/notes.txt").path))
        // An empty directory is taken as the output, with or without --overwrite.
        try FileManager.default.createDirectory(at: directory.file("empty"), withIntermediateDirectories: false)
        _ = try merge(config(directory.file("ft.safetensors").path), in: directory, out: "empty")
        // Writing over an input's directory is refused.
        #expect(throws: ConfigurationError.self) { _ = try merge(config(directory.file("out/model.safetensors").path), in: directory, out: "out", overwrite: true) }
        // Results that overflow: λ = 1e308 in Float32, 1e5 in F16. Refused, nothing written.
        #expect { _ = try merge(config(directory.file("ft.safetensors").path, extra: "parameters: {lambda: 1e308}"), in: directory, out: "big") } throws: { "\($0)".contains("overflow") }
        #expect { _ = try merge(config(directory.file("ft.safetensors").path, extra: "parameters: {lambda: 1e5}\ndtype: float16"), in: directory, out: "f16") } throws: { "\($0)".contains("does not fit in F16") }
        #expect(!FileManager.default.fileExists(atPath: directory.file("big").path) && !FileManager.default.fileExists(atPath: directory.file("f16").path))
        // A Fisher file given as a model is refused.
        try Safetensors.write(Array(good), metadata: FisherInformation.marker, to: directory.file("fisher.safetensors"))
        #expect { _ = try merge(config(directory.file("fisher.safetensors").path), in: directory, out: "f") } throws: { "\($0)".contains("Fisher diagonal") }
        // A TIES trim that keeps nothing of a tensor is refused before any output, naming the key.
        let ties = "merge_method: ties\nbase_model: \(directory.file("base.safetensors").path)\nmodels: [{model: \(directory.file("ft.safetensors").path), parameters: {weight: 1, density: 0.5}}]\n"
        #expect { _ = try merge(ties, in: directory, out: "t") } throws: { "\($0)".contains("models[0].parameters.density") && "\($0)".contains("'v'") }
        #expect(!FileManager.default.fileExists(atPath: directory.file("t").path))
        // Excluded tensors come from the base, so other models may lack them and have their own (other heads).
        try Safetensors.write([("w", Tensor([1, 2])), ("heads.a.w", Tensor([3]))], to: directory.file("base-a.safetensors"))
        try Safetensors.write([("w", Tensor([5, 6])), ("heads.b.w", Tensor([1]))], to: directory.file("ft-b.safetensors"))
        let heads = "merge_method: task_arithmetic\nbase_model: \(directory.file("base-a.safetensors").path)\nmodels: [{model: \(directory.file("ft-b.safetensors").path), parameters: {weight: 1}}]\n"
        let merged = try merge(heads + "exclude: [\"heads.*\"]", in: directory, out: "heads")
        #expect(merged["w"]!.scalars == [5, 6] && merged["heads.a.w"]!.scalars == [3] && merged.count == 2)
        #expect { _ = try merge(heads, in: directory, out: "heads2") } throws: { "\($0)".contains("lacks 1 tensor") }
    }

    /// A stop request (Ctrl-C) ends the merge at its next chunk with nothing written and no
    /// staging directory left.
    @Test func stopsCleanly() throws {
        let directory = try TemporaryDirectory()
        let big = ParameterSet([("w", Tensor(shape: [300_000], scalars: [Float](repeating: 1, count: 300_000)))])
        try Safetensors.write(Array(big), to: directory.file("a.safetensors"))
        try Safetensors.write(Array(big * 2), to: directory.file("b.safetensors"))
        let config = try directory.write(Array("merge_method: linear\nmodels: [{model: \(directory.file("a.safetensors").path), parameters: {weight: 1}}, {model: \(directory.file("b.safetensors").path), parameters: {weight: 1}}]\n".utf8), to: "m.yaml")
        let plan = try CheckpointMerge(try MergeConfig.load(config.path))
        var calls = 0
        #expect(throws: MergeInterrupted.self) {
            _ = try plan.write(to: directory.file("out"), maxShardBytes: 1 << 30, shouldStop: { calls += 1; return calls > 2 })
        }
        #expect(try directory.contents() == ["a.safetensors", "b.safetensors", "m.yaml"])
    }
}
