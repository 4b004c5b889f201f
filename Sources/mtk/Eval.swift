import ArgumentParser
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk eval`: evaluate a checkpoint on the test set.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a trained checkpoint on a suite's test split or a CSV.")

    @OptionGroup var data: DataOptions
    @Argument(help: "A run directory (its current best weights, else last; its data by default) or a checkpoint file.") var checkpoint: String
    @Option(help: "Model spec (default: the one stored in the checkpoint).") var model: String?
    @Option(parsing: .unconditional, help: "Seed of the suite's derived labels (use the training seed) [0].") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Threads [all cores, or MTK_THREADS].") var threads: Int?

    func run() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        let source = data.isEmpty && seed == nil ? nil : data.apply(to: nil, seed: seed ?? 0)
        let results = try ComputeThreads.with(threads ?? ComputeThreads.processDefault) {
            try Evaluator.evaluate(checkpoint: URL(fileURLWithPath: checkpoint), spec: model, source: source)
        }
        print(results.markdown)
    }
}
