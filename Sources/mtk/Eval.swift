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
    @Option(parsing: .unconditional, help: "Seed of the suite's derived labels [the run's, else 0].") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Threads [all cores, or MTK_THREADS].") var threads: Int?

    func run() throws {
        // The test set does not depend on these: given, they would do nothing.
        if data.trainExamples != nil { throw ValidationError("--train-examples: mtk eval scores the test set, which a training subset does not change") }
        if data.validationFraction != nil { throw ValidationError("--validation-fraction: mtk eval scores the test set, which the validation split does not change") }
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        let url = URL(fileURLWithPath: checkpoint)
        let base = try Evaluator.runDataSource(url)
        // A checkpoint file names no data: the suite or CSV is said, not a default guessed.
        if base == nil && data.suite == nil && data.csv == nil && !data.isEmpty {
            throw ValidationError("\(url.path): say which data to use (--suite or --csv); a checkpoint file does not name its data")
        }
        let source = data.isEmpty && seed == nil ? base : data.apply(to: base, seed: seed)
        let results = try ComputeThreads.with(threads ?? ComputeThreads.processDefault) {
            try Evaluator.evaluate(checkpoint: url, spec: model, source: source, dropUnusedHeads: model.map { ModelSpec.builtIn[$0] != nil } ?? false)
        }
        if let weights = results.weights { print("weights: \(weights)") }
        print(results.markdown)
    }
}
