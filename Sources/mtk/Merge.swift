import ArgumentParser
import Foundation
import MultiTask

/// `mtk merge`: merge checkpoints as a mergekit config describes, streaming tensor by tensor.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge checkpoints (task arithmetic, TIES, DARE, linear, Fisher) from a mergekit-style YAML config.",
        discussion: """
        The config uses mergekit's keys: merge_method (linear, task_arithmetic, ties, dare_linear, dare_ties, fisher), \
        base_model, models: [{model: PATH, parameters: {weight, density}}], parameters (lambda, normalize, density, rescale; \
        ours: trim_scope: per_tensor|global, seed, fisher_floor, normalize_fishers, favor_target_model) and dtype/out_dtype \
        (float32, float16, bfloat16; default: the inputs'). include/exclude take name patterns (tensors left out are copied \
        from the base model). A PATH is a .safetensors file, a sharded checkpoint's .safetensors.index.json, or a directory \
        holding either. Everything is checked before any weight is read; the output directory appears whole or not at all.
        """)

    @Argument(help: "The merge config (YAML).") var config: String
    @Option(name: .shortAndLong, help: "The output directory (model.safetensors, or shards and their index, plus mergekit_config.yml).") var output: String
    @Option(help: "The largest shard, in bytes, with K, M, B or G for thousands, millions or billions [5B, as mergekit].") var outShardSize = "5B"
    @Flag(help: "Replace the output directory when it holds an earlier merge's output.") var overwrite = false

    func run() throws {
        let shardBytes = try Self.byteCount(outShardSize)
        guard !output.isEmpty else { throw ValidationError("-o: the output needs a directory name") }
        let plan = try CheckpointMerge(try MergeConfig.load(config))
        let inputBytes = plan.inputBytes
        logLine("merge: \(plan.config.settings.method.rawValue) of \(plan.config.models.count) model(s), \(plan.mergedCount) tensor(s) merged; reading \(Self.gigabytes(inputBytes)), writing \(Self.gigabytes(plan.outputBytes))")
        for note in plan.notes { logLine("merge: note: \(note)") }
        let started = ContinuousClock.now
        var reported = 0
        // Ctrl-C or SIGTERM: the merge stops at its next chunk and removes what it staged.
        Interruption.install()
        Interruption.setSaving(true)
        defer { Interruption.setSaving(false) }
        let files: [String]
        do {
            files = try plan.write(to: URL(fileURLWithPath: output), maxShardBytes: shardBytes, overwrite: overwrite, progress: { done, total in
                let tenth = total == 0 ? 10 : done * 10 / total
                guard tenth > reported else { return }
                reported = tenth
                let seconds = (ContinuousClock.now - started).seconds
                logLine("merge: \(tenth * 10)% (\(Self.gigabytes(done)) read, \(Self.gigabytes(Int(Double(done) / Swift.max(seconds, 1e-9))))/s)")
            }, shouldStop: { Interruption.requested })
        } catch let stop as MergeInterrupted {
            logLine(stop.description)
            throw ExitCode(Interruption.exitStatus)
        }
        let seconds = (ContinuousClock.now - started).seconds
        logLine("merge: wrote \(output): \(files.joined(separator: ", ")) in \(String(format: "%.2f", seconds)) s (\(Self.gigabytes(Int(Double(inputBytes) / Swift.max(seconds, 1e-9))))/s of input)")
    }

    /// "5B" → 5,000,000,000; decimal suffixes K, M, B/G as mergekit's --out-shard-size reads them.
    static func byteCount(_ text: String) throws -> Int {
        let units: [Character: Int] = ["K": 1_000, "M": 1_000_000, "B": 1_000_000_000, "G": 1_000_000_000]
        let upper = text.uppercased()
        let (digits, unit) = upper.last.flatMap { units[$0] }.map { (String(upper.dropLast()), $0) } ?? (upper, 1)
        let decimal = !digits.isEmpty && digits.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && digits.filter { $0 == "." }.count <= 1
        guard decimal, let value = Double(digits), value * Double(unit) >= 1 else {
            throw ValidationError("--out-shard-size: expected a positive size such as 5B, 500M or 1000000, found '\(text)'")
        }
        guard value * Double(unit) < 1e18 else { throw ValidationError("--out-shard-size: '\(text)' is too large (at most 1e18 bytes)") }
        return Int(value * Double(unit))
    }

    static func gigabytes(_ bytes: Int) -> String { String(format: "%.2f GB", Double(bytes) / 1e9) }
}
