import ArgumentParser
import Files
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk masks`: what per-task pruning masks say about the tasks.
struct Masks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-task pruning masks and what they say about the tasks.",
        subcommands: [Similarity.self])

    /// `mtk masks similarity`: the Meta-Sparse estimator.
    struct Similarity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Task similarity from per-task SNIP masks on the shared trunk: IoU per layer and overall, and the rank correlation of the scores.",
            discussion: "Takes mtk train's data and model options (--init scores a trained checkpoint; else the model at its seeded initialisation). Each task keeps its top (1 − sparsity) of the trunk and its own head by its SNIP score, summed over --batches batches. Writes DIR/masks-iou.json and DIR/masks-rank.json (affinity matrices for mtk group and mtk evaluate-groupings) and DIR/masks-similarity.md/.json (with the per-layer profile).")

        @OptionGroup var options: TrainingOptions
        @Option(parsing: .unconditional, help: "Each task's mask removes this fraction of its pool, in (0, 1) [0.9].") var sparsity = 0.9
        @Option(parsing: .unconditional, help: "Batches the SNIP scores are summed over [50].") var batches = 50
        @Option(help: "Top-k over each task's whole pool (global) or within each layer (per-layer) [global].") var scope = "global"

        func run() throws {
            guard let output = options.output else { throw ValidationError("--output DIR is needed: the matrices go there") }
            try options.refuseTrainingOnly("mtk masks similarity", "scores the model as it is (at initialisation or --init) and trains nothing")
            guard let scopeValue = PruningRequest.Scope(rawValue: scope) else { throw ValidationError("--scope: expected global or per-layer, got '\(scope)'") }
            guard sparsity > 0, sparsity < 1 else { throw ValidationError("--sparsity must be in (0, 1), got \(sparsity)") }
            guard batches >= 1, batches <= 1_000_000 else { throw ValidationError("--batches must be between 1 and 1000000, got \(batches)") }
            let config = options.apply(to: RunConfig())
            try config.validate()
            let directory = URL(fileURLWithPath: output)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw ValidationError("-o \(output): that is a file; the matrices go into a directory") }
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                    throw ValidationError("-o \(output): that is a training run's directory; write the matrices elsewhere")
                }
                if !options.overwrite && FileManager.default.fileExists(atPath: directory.appendingPathComponent("masks-similarity.json").path) {
                    throw ValidationError("-o \(output) holds an earlier result; add --overwrite to replace it")
                }
            }
            let overwrite = options.overwrite
            let replace = { (url: URL) throws -> Void in
                if overwrite { return try Self.replaceable(url) }
                guard ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).isEmpty else {
                    throw ValidationError("-o \(url.path) holds other files; the matrices go into a directory of their own (or give --overwrite to replace an earlier result)")
                }
            }
            try AtomicDirectory.checkWritable(directory, replace: replace)  // before the scores, not after
            let result = try ComputeThreads.with(config.training.threads ?? ComputeThreads.processDefault) { () throws -> MaskSimilarity.Result in
                let data = try PreparedData(config.data!)
                let name = config.model ?? "reference-cnn"
                let spec = try MultiTaskModel.spec(for: try ModelSpec.resolve(name), tasks: data.tasks, dropUnusedHeads: ModelSpec.builtIn[name] != nil)
                let model = try MultiTaskModel(spec: spec, tasks: data.tasks, seed: config.training.seed)
                if let checkpoint = config.initFrom { logLine(try InitCheckpoint.load(URL(fileURLWithPath: checkpoint), into: model, strict: config.strictInit).description) }
                var result = try MaskSimilarity.estimate(model: model, data: data.train, batches: batches, batchSize: config.training.batchSize,
                                                         seed: config.training.seed, keep: 1 - sparsity, scope: scopeValue)
                for matrix in [\MaskSimilarity.Result.iou, \MaskSimilarity.Result.rank] {
                    result[keyPath: matrix].settings["weights"] = config.initFrom ?? "initialisation (seed \(config.training.seed))"
                }
                return result
            }
            try? FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)  // else the write names the reason
            // The four files as one: a kill leaves the earlier set or this one, never a mix.
            try AtomicDirectory.write(to: directory, replace: replace) { staging in
                try result.iou.writeJSON(to: staging.appendingPathComponent("masks-iou.json"))
                try result.rank.writeJSON(to: staging.appendingPathComponent("masks-rank.json"))
                try AtomicWrite.write(try RunJSON.encoder(pretty: true).encode(result), to: staging.appendingPathComponent("masks-similarity.json"))
                try AtomicWrite.write(Data(result.markdown.utf8), to: staging.appendingPathComponent("masks-similarity.md"))
            }
            print(result.markdown)
        }

        /// An earlier result may be replaced: a directory of its files and nothing else.
        static let replaceable = AtomicDirectory.holdingOnly(["masks-iou.json", "masks-rank.json", "masks-similarity.json", "masks-similarity.md"],
                                                             what: "mtk masks similarity result")
    }
}
