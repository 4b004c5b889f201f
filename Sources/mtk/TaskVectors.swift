import ArgumentParser
import Files
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk task-vectors`: the task vectors of mtk finetune's models — norms, cosines, alignment,
/// α sweeps on every task, task addition.
struct TaskVectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task-vectors",
        abstract: "Study the task vectors of mtk finetune's models: norms, cosine matrix, subspace alignment, α sweeps on every task, task addition.",
        discussion: "Writes DIR/task-vectors/: report.md, results.json and cosine.json (an affinity matrix for mtk group and mtk evaluate-groupings), replaced together. Each task keeps its own fine-tuned head; α for task addition is chosen on validation.")

    @Argument(help: "mtk finetune's output directory (one model per task).") var directory: String
    @Option(parsing: .unconditional, help: "The α grid as FROM:TO:STEP [0:1.5:0.1]; negative α (task negation) allowed.") var alphas = "0:1.5:0.1"
    @Option(help: "Name patterns of the shared parameters task vectors cover, comma-separated [trunk.*].") var include = "trunk.*"
    @Option(parsing: .unconditional, help: "Threads [all cores, or MTK_THREADS].") var threads: Int?

    func run() throws {
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        var settings = TaskVectorStudy.Settings()
        settings.alphas = try Self.grid(alphas)
        settings.include = include.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let root = URL(fileURLWithPath: directory)
        let record = try RunDirectory.readJSON(Finetuning.Record.self, from: root.appendingPathComponent("finetune.json"), what: "mtk finetune record")
        guard var source = record.data, let modelName = record.model else { throw ValidationError("\(directory)/finetune.json does not say which data and model the models used") }
        guard !record.models.isEmpty else { throw ValidationError("\(directory)/finetune.json lists no models") }
        guard record.models.allSatisfy({ $0.tasks.count == 1 }) else { throw ValidationError("task vectors need one model per task; \(directory) has task sets") }
        for model in record.models where model.file.hasPrefix("/") || model.file.split(separator: "/").contains("..") {
            throw ValidationError("\(directory)/finetune.json: the model file '\(model.file)' is not inside \(directory)")
        }
        guard try InitCheckpoint.fingerprint(URL(fileURLWithPath: record.pretrained)) == record.pretrainedFingerprint else {
            throw ValidationError("\(record.pretrained) no longer holds the weights the models were fine-tuned from (its contents changed since mtk finetune); task vectors against it would be wrong")
        }
        source.tasks = record.models.map { $0.tasks[0] }
        let output = root.appendingPathComponent("task-vectors")
        try AtomicDirectory.checkWritable(output, replace: Self.replaceable)  // before the sweeps, not after
        let result = try ComputeThreads.with(threads ?? ComputeThreads.processDefault) { () throws -> TaskVectorStudy.Result in
            // What finetune.json says (the data, the model) is checked as that file's.
            let (data, spec): (PreparedData, ModelSpec)
            do {
                data = try PreparedData(source)
                spec = try MultiTaskModel.spec(for: try ModelSpec.resolve(modelName), tasks: data.tasks, dropUnusedHeads: ModelSpec.builtIn[modelName] != nil)
            } catch {
                throw ValidationError("\(root.appendingPathComponent("finetune.json").path): \((error as? ConfigurationError)?.message ?? "\(error)")")
            }
            let load = InitCheckpoint.weights
            let study = try TaskVectorStudy(spec: spec, tasks: data.tasks, pretrained: try load(URL(fileURLWithPath: record.pretrained)),
                                            finetuned: try record.models.map { try load(root.appendingPathComponent($0.file)) }, settings: settings)
            return try study.run(data) { logLine("task-vectors: \($0)") }
        }
        // The three files as one: a kill leaves the earlier set or this one, never a mix.
        try AtomicDirectory.write(to: output, replace: Self.replaceable) { staging in
            try AtomicWrite.write(Data(result.markdown.utf8), to: staging.appendingPathComponent("report.md"))
            try AtomicWrite.write(try RunJSON.encoder(pretty: true).encode(result), to: staging.appendingPathComponent("results.json"))
            try result.cosine.writeJSON(to: staging.appendingPathComponent("cosine.json"))
        }
        print(result.markdown)
        logLine("wrote \(output.path)/: report.md, results.json, cosine.json")
    }

    /// An earlier task-vectors output may be replaced: a directory of its files and nothing else.
    static let replaceable = AtomicDirectory.holdingOnly(["report.md", "results.json", "cosine.json"], what: "mtk task-vectors output")

    /// "0:1.5:0.1" → 0, 0.1, ..., 1.5 (the end included when the steps reach it within rounding).
    static func grid(_ text: String) throws -> [Double] {
        let parts = text.split(separator: ":").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let from = parts[0], let to = parts[1], let step = parts[2], from.isFinite, to.isFinite, step > 0, to >= from, (to - from) / step <= 10_000 else {
            throw ValidationError("--alphas: expected FROM:TO:STEP with FROM ≤ TO and STEP > 0 (at most 10,000 points), got '\(text)'")
        }
        // Rounded to 9 decimals, so 0.1 · 3 reads 0.3, not 0.30000000000000004.
        return (0...Int(((to - from) / step + 1e-9).rounded(.down))).map { ((from + Double($0) * step) * 1e9).rounded() / 1e9 }
    }
}
