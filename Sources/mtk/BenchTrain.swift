import ArgumentParser
import Foundation
import MultiTask

/// `mtk bench train`: the reference training workloads, one JSON object per run.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the reference MLP/CNN for one epoch as the PyTorch peer scripts do; JSON lines on stdout.")

    @Option(help: "Workload: mlp or cnn.") var workload: String = "mlp"
    @Option(parsing: .unconditional, help: "Threads.") var threads = 2
    @Option(parsing: .unconditional, help: "Batch size.") var batch = 128
    @Option(parsing: .unconditional, help: "Seed.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Epochs.") var epochs = 1
    @Option(parsing: .unconditional, help: "Repetitions (each a fresh run).") var repeats = 1
    @Option(help: "Also measure task affinity as a peer script does (cnn): tag_affinity or grad_cos.") var affinity: String?
    @Option(parsing: .unconditional, help: "With --affinity: sample every K steps [10 for tag_affinity, 1 for grad_cos].") var every: Int?

    func validate() throws {
        guard (1...1024).contains(threads) else { throw ValidationError("--threads: expected 1 to 1024, got \(threads)") }
        guard (1...60_000).contains(batch) else { throw ValidationError("--batch: expected 1 to 60000 (the training set's size), got \(batch)") }
        guard (1...1000).contains(epochs) else { throw ValidationError("--epochs: expected 1 to 1000, got \(epochs)") }
        guard repeats >= 1 else { throw ValidationError("--repeats: expected at least 1, got \(repeats)") }
        if let every {
            guard affinity != nil else { throw ValidationError("--every: applies to --affinity, which is not given") }
            guard every >= 1 else { throw ValidationError("--every: expected at least 1, got \(every)") }
        }
    }

    func run() throws {
        guard let kind = TrainBenchmark.Workload(rawValue: workload) else { throw ValidationError("--workload must be mlp or cnn") }
        let estimator = try affinity.map { name in
            guard let kind = TrainBenchmark.Affinity(rawValue: name) else { throw ValidationError("--affinity must be tag_affinity or grad_cos, got '\(name)'") }
            return kind
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for _ in 0..<repeats {
            let record = try TrainBenchmark.run(kind, threads: threads, batch: batch, seed: seed, epochs: epochs, affinity: estimator, every: every)
            FileHandle.standardOutput.write(try encoder.encode(record) + Data("\n".utf8))
        }
    }
}
