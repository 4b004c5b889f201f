import ArgumentParser
import Foundation
import MultiTask
import NN
import Tensors

/// `mtk train`: train a multi-task model and report per-task test metrics.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a multi-task network (trunk + one head per task).",
        discussion: "Defaults are given in brackets. With --resume every setting comes from the run directory; options given with it must agree with the saved run, except --epochs and --max-steps (which extend it), --threads (allowed, with a warning) and --baselines.")

    @OptionGroup var options: TrainingOptions
    @Flag(help: "Continue the run in --output exactly where it stopped.") var resume = false
    @Flag(help: "Also train one single-task model per task and report Δm%.") var baselines = false

    func run() throws {
        let onEvent = TrainingOptions.progressAndSignals()
        let output = options.output
        if let output, output.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--output is empty: give the run directory") }
        let results: RunResults
        if resume {
            let (directory, saved, requested) = try options.resumeRequest(apply: apply(to:))
            if saved.affinity != nil {
                throw ValidationError("\(directory.path) holds an affinity run: continue it with mtk affinity --resume -o \(directory.path) (mtk train would leave its estimators out)")
            }
            results = try Experiment.resume(directory: directory, requested: requested, onEvent: onEvent, shouldStop: { Interruption.requested })
        } else {
            results = try options.start(apply(to: RunConfig()), onEvent: onEvent)
        }
        if results.summary.resumable {
            print("stopped after \(results.summary.steps) steps" + (output.map { "; continue with: mtk train --resume --output \($0)" } ?? " (no --output, so nothing was saved)"))
        }
        print("test set (best validation epoch \(results.bestEpoch.map(String.init) ?? "-")):")
        print(results.markdown)
    }

    /// The options applied to `base`, with --baselines.
    private func apply(to base: RunConfig) -> RunConfig {
        var config = options.apply(to: base)
        if baselines { config.baselines = true }
        return config
    }
}
