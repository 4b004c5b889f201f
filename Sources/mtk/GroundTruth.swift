import ArgumentParser
import Foundation
import MultiTask

/// `mtk groundtruth`: train every task set (the exact answer to which tasks to train together),
/// on one machine or sharded over a scheduler's job array.
struct GroundTruthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groundtruth",
        abstract: "Train every non-empty set of 2 to 7 tasks with the same settings, and record each task's validation and test results in each.",
        discussion: """
        Each network is a cached unit in DIR/networks: a stopped or repeated study trains nothing twice. Sharded: --shard I/N (0-based), \
        or read from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or Kubernetes' JOB_COMPLETION_INDEX with --shards N; then \
        'mtk groundtruth merge DIR'. 'mtk groundtruth slurm' writes an sbatch array script. A study's settings are saved in DIR \
        (groundtruth-settings.json): later shards and reruns need only --output.
        """,
        subcommands: [Run.self, Merge.self, Slurm.self],
        defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train the task sets (all, or one shard's); without a shard, merge at the end.",
                                                        discussion: "Two processes on one directory without shards: the second stops at the first network the other holds (its lock); shard the study instead.")

        @OptionGroup var options: TrainingOptions
        @Option(help: "This process's shard, INDEX/COUNT with a 0-based index (e.g. 0/4).") var shard: String?
        @Option(parsing: .unconditional, help: "The shard count, for JOB_COMPLETION_INDEX (Kubernetes does not export it).") var shards: Int?

        func run() throws {
            guard let output = options.output else { throw ValidationError("--output DIR is needed: the study's networks and tables go there") }
            if options.overwrite { throw ValidationError("--overwrite: a ground truth never replaces finished networks; use another --output") }
            if options.maxSteps != nil { throw ValidationError("--max-steps: every network trains to the end; stop with Ctrl-C and rerun to continue") }
            let directory = URL(fileURLWithPath: output)
            let (shard, note) = try Shard.resolve(option: shard, count: shards, environment: ProcessInfo.processInfo.environment)
            if let note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            let study = try GroundTruthStudy.prepare(try GroundTruthCommand.config(options, directory: directory), directory: directory)
            let outcome = try study.run(shard: shard, onEvent: TrainingOptions.progressAndSignals(), shouldStop: { Interruption.requested }, log: logLine)
            if outcome.interrupted {
                print("stopped: finished networks are kept; run the same command again to continue")
                throw ExitCode(Interruption.exitStatus)
            }
            print("\(outcome.trained) trained, \(outcome.cached) done before; \(outcome.doneInStudy) of \(study.settings.networks.count) task sets of the study are done")
            if outcome.doneInStudy == study.settings.networks.count && shard == nil {
                try GroundTruthCommand.printTable(try GroundTruthStudy.merge(directory), directory: directory)
            } else if outcome.doneInStudy == study.settings.networks.count {
                print("every task set is trained: mtk groundtruth merge \(output)")
            }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Combine the shards' networks into groundtruth.json, the loss tables and timings.json.")
        @Argument(help: "The study directory (every shard's --output).") var directory: String

        func run() throws {
            let url = URL(fileURLWithPath: directory)
            try GroundTruthCommand.printTable(try GroundTruthStudy.merge(url), directory: url)
        }
    }

    struct Slurm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the study's settings in --output and print an sbatch script that trains it as a job array.",
            discussion: "Submit with 'sbatch SCRIPT'; when the array is done, 'mtk groundtruth merge DIR'. DIR must be on a file system every node sees.")

        @OptionGroup var options: TrainingOptions
        @Option(parsing: .unconditional, help: "Array tasks (shards) [one per task set].") var shards: Int?
        @Option(parsing: .unconditional, help: "CPUs per array task [the study's threads, else 1]; the study trains on as many threads.") var cpusPerTask: Int?
        @Option(help: "Slurm partition.") var partition: String?
        @Option(help: "Slurm time limit per array task (e.g. 02:00:00).") var time: String?
        @Option(help: "The mtk executable the nodes run [this one].") var mtk: String?

        func run() throws {
            guard let output = options.output else { throw ValidationError("--output DIR is needed: the shared directory the array trains into") }
            let directory = URL(fileURLWithPath: output).standardizedFileURL
            var config = try GroundTruthCommand.config(options, directory: directory)
            let threads = config.training.threads, cpus = cpusPerTask ?? threads ?? 1
            if let threads, threads != cpus {
                throw ValidationError("--cpus-per-task \(cpus), but the study trains on \(threads) threads (--threads, or its recorded settings): ask for as many CPUs as threads")
            }
            config.training.threads = cpus
            let request = GroundTruthScript.SlurmRequest(directory: directory, shards: shards, cpusPerTask: cpus, partition: partition, time: time,
                                                         executable: URL(fileURLWithPath: mtk ?? CommandLine.arguments[0]).standardizedFileURL.path)
            try request.check()  // before the study's settings are recorded
            let study = try GroundTruthStudy.prepare(config, directory: directory)
            print(try GroundTruthScript.slurm(study: study, request: request), terminator: "")
            FileHandle.standardError.write(Data("submit with: sbatch SCRIPT; when every array task is done: \(request.executable) groundtruth merge \(directory.path)\n".utf8))
        }
    }

    /// The study's config: the options on the saved settings when the study has started (so
    /// that --output alone continues it), else on the defaults.
    static func config(_ options: TrainingOptions, directory: URL) throws -> RunConfig {
        var base = try GroundTruthStudy.savedSettings(directory)?.config ?? RunConfig()
        base.training.maxSteps = nil
        return options.apply(to: base)
    }

    static func printTable(_ truth: GroundTruth, directory: URL) throws {
        print("ground truth: \(truth.networks.count) networks of \(truth.tasks.joined(separator: ", ")); validation loss per task (test in parentheses)")
        let width = Swift.max(8, truth.tasks.map(\.count).max() ?? 0)
        print("set".padding(toLength: 3 * truth.tasks.count + 2, withPad: " ", startingAt: 0) + truth.tasks.map { $0.padding(toLength: width + 12, withPad: " ", startingAt: 0) }.joined())
        for network in truth.networks {
            let set = truth.tasks.map { network.tasks.contains($0) ? "x" : "." }.joined(separator: "  ")
            let cells = truth.tasks.map { task -> String in
                guard let v = network.validation[task], let t = network.test[task] else { return "".padding(toLength: width + 12, withPad: " ", startingAt: 0) }
                return String(format: "%.4f (%.4f)", v.loss, t.loss).padding(toLength: width + 12, withPad: " ", startingAt: 0)
            }
            print(set + "  " + cells.joined())
        }
        print("written: \(["groundtruth.json", "groundtruth-validation.csv", "groundtruth-test.csv", "standley_results.txt", "standley_results_test.txt", "timings.json"].map { directory.appendingPathComponent($0).path }.joined(separator: ", "))")
    }
}
