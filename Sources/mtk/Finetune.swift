import ArgumentParser
import Foundation
import MultiTask

/// `mtk finetune`: one model per task (or task set) from a pretrained checkpoint, keeping the
/// last, best-validation or highest-Fisher epoch of each.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune one model per task (or task set) from a pretrained checkpoint (--init), keeping each one's last, best or highest-Fisher epoch.",
        discussion: "Takes mtk train's options; --init is required. Each model is a cached, resumable run in DIR/networks (rerun the same command to continue); DIR/finetune.json lists the kept weights of this command's models (their epoch, validation and test metrics, and Fisher log-trace); a later command into the same DIR with other settings rewrites it, and the other settings' networks stay cached beside. 'mtk task-vectors DIR' then studies their task vectors.")

    @OptionGroup var options: TrainingOptions
    @Option(help: "Which epoch to keep: last, best (validation, by --selection) or fisher (highest Fisher log-trace on the training set) [best].") var keep = "best"
    @Flag(help: "Train each model on its task's class-balanced subsample (classification tasks).") var balanced = false
    @Option(help: "Task sets, comma-separated, tasks within a set joined by + (e.g. class,footwear+upper) [each task alone].") var sets: String?

    func run() throws {
        guard let output = options.output else { throw ValidationError("--output DIR is needed: the models go there") }
        if options.overwrite { throw ValidationError("--overwrite: finished models are never replaced; use another --output") }
        guard let keep = Finetuning.Keep(rawValue: keep) else { throw ValidationError("--keep: expected last, best or fisher, got '\(keep)'") }
        let config = options.apply(to: RunConfig())
        let groups = try sets.map { text in
            try text.split(separator: ",", omittingEmptySubsequences: false).map { set in
                let tasks = set.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard tasks.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--sets: '\(set)' has an empty task name") }
                return tasks
            }
        }
        let study = try Finetuning(config: config, keep: keep, balanced: balanced, root: URL(fileURLWithPath: output))
        let progress = TrainingOptions.progressAndSignals()
        guard let record = try study.run(groups, onEvent: { _, event in progress(event) }, shouldStop: { Interruption.requested }) else {
            print("stopped: finished models are kept; run the same command again to continue")
            throw ExitCode(Interruption.exitStatus)
        }
        print("| model | kept epoch | of | validation | test | log tr F |\n|---|---|---|---|---|---|")
        for model in record.models {
            let metric = { (e: Evaluation) in e.tasks.map { t in t.metrics.first.map { "\(t.task) \($0.name) \(String(format: "%.4f", $0.value))" } ?? "" }.joined(separator: ", ") }
            print("| \(model.tasks.joined(separator: "+")) | \(model.epoch.map(String.init) ?? "–") | \(model.epochs) | \(metric(model.validation)) | \(metric(model.test)) | \(String(format: "%.3f", model.fisherLogTrace)) |")
        }
        logLine("wrote \(study.recordFile.path)")
    }
}
