import ArgumentParser
import Files
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk fisher`: a checkpoint's diagonal Fisher and its log-trace (complexity).
struct FisherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fisher",
        abstract: "A checkpoint's diagonal Fisher information on its training split and the log of its trace (a complexity measure); the Fisher file feeds fisher merging.",
        discussion: "Per-example gradients of log p(y|x) over N training examples (seeded), with y drawn from the model's own prediction (sampled), summed over labels at their probabilities (expected), or from the data (empirical).")

    @OptionGroup var data: DataOptions
    @Argument(help: "A run directory (its current best weights, else last; its data by default) or a checkpoint file.") var checkpoint: String
    @Option(help: "Model spec (default: the one stored in the checkpoint).") var model: String?
    @Option(parsing: .unconditional, help: "Examples N [256; all of the training data when it has fewer].") var examples = 256
    @Option(help: "Labels: sampled, expected or empirical [sampled].") var labels = "sampled"
    @Option(parsing: .unconditional, help: "Seed of the examples and sampled labels [0].") var seed: UInt64 = 0
    @Option(help: "Tasks whose log-likelihoods are summed, comma-separated [all of the model's].") var fisherTasks: String?
    @Option(name: .shortAndLong, help: "Write the diagonal Fisher to FILE.safetensors (the parameters' names).") var output: String?
    @Option(parsing: .unconditional, help: "Threads [all cores, or MTK_THREADS].") var threads: Int?

    func run() throws {
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        guard let kind = FisherInformation.Labels(rawValue: labels) else { throw ValidationError("--labels: expected sampled, expected or empirical, got '\(labels)'") }
        if let output, !output.hasSuffix(".safetensors") { throw ValidationError("-o \(output): the Fisher is written as FILE.safetensors") }
        var settings = FisherInformation.Settings()
        (settings.examples, settings.labels, settings.seed) = (examples, kind, seed)
        settings.tasks = fisherTasks.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        let url = URL(fileURLWithPath: checkpoint)
        if let output {
            // The parent resolved (the file need not exist yet), so a symlinked directory is seen through.
            let file = URL(fileURLWithPath: output).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.deletingLastPathComponent().path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("-o \(output): the directory \(file.deletingLastPathComponent().path) does not exist")
            }
            let target = file.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(file.lastPathComponent).path
            let input = url.standardizedFileURL.resolvingSymlinksInPath().path
            if target == input || target.hasPrefix(input + "/") {
                throw ValidationError("-o \(output): that would overwrite the checkpoint (or write into the run directory) being measured; write the Fisher elsewhere")
            }
            try AtomicWrite.checkWritable(file)  // a read-only directory is found now, not after the Fisher
        }
        let base = try Evaluator.runDataSource(url)
        // A checkpoint file names no data: the suite or CSV is said, not a default guessed.
        if base == nil && data.suite == nil && data.csv == nil && !data.isEmpty {
            throw ValidationError("\(url.path): say which data to use (--suite or --csv); a checkpoint file does not name its data")
        }
        let source = data.isEmpty ? base : data.apply(to: base, seed: nil)
        let (fisher, file, used) = try ComputeThreads.with(threads ?? ComputeThreads.processDefault) {
            let loaded = try Evaluator.load(checkpoint: url, spec: model, source: source, dropUnusedHeads: model.map { ModelSpec.builtIn[$0] != nil } ?? false,
                                            keepValidation: true)
            if let output, URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path == loaded.file.standardizedFileURL.resolvingSymlinksInPath().path {
                throw ValidationError("-o \(output): that is the checkpoint being measured; write the Fisher elsewhere")
            }
            return (try FisherInformation.diagonal(model: loaded.model, data: loaded.data.train, settings: settings), loaded.file, Swift.min(examples, loaded.data.train.count))
        }
        let logTrace = FisherInformation.logTrace(fisher)
        print("fisher: \(file.path): log tr F = \(String(format: "%.4f", logTrace)) (trace \(String(format: "%.6g", Foundation.exp(logTrace)))) over \(used) example(s), labels \(kind.rawValue), seed \(seed)")
        if let output {
            try Safetensors.write(Array(fisher), metadata: FisherInformation.marker.merging(["log_trace": "\(logTrace)", "labels": kind.rawValue,
                                                            "examples": "\(used)", "seed": "\(seed)", "of": file.path]) { $1 },
                                  to: URL(fileURLWithPath: output))
            print("wrote \(output)")
        }
    }
}
