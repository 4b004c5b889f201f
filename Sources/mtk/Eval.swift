import ArgumentParser
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk eval`: evaluate a checkpoint on the test set.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a trained checkpoint on a suite's test split or a CSV.")

    @OptionGroup var data: DataOptions
    @Argument(help: "A checkpoint written by mtk train (best.safetensors or last.safetensors), or a run directory.") var checkpoint: String
    @Option(help: "Model spec (default: the one stored in the checkpoint).") var model: String?
    @Option(help: "Seed of the suite's derived labels (use the training seed).") var seed: UInt64 = 0
    @Option(help: "Threads (default: all cores).") var threads: Int?

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        let results = try Evaluator.evaluate(checkpoint: URL(fileURLWithPath: checkpoint), spec: model, source: data.source(seed: seed))
        print(results.markdown)
    }
}
