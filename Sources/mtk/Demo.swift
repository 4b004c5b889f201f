import ArgumentParser
import Tensors

/// `mtk demo`: a small end-to-end run of the engine (see `TinyMLPDemo`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fit a tiny MLP with the autograd tape (smoke example).")

    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Threads for BLAS and the engine (default: all cores).") var threads: Int?
    @Option(help: "Training steps.") var steps = 300

    func run() throws {
        let result = ComputeThreads.with(threads ?? ComputeThreads.processDefault) {
            TinyMLPDemo.run(seed: seed, steps: steps) { step, loss in
                if step % 50 == 0 { print("step \(step)  loss \(loss)") }
            }
        }
        print("final loss \(result.finalLoss), accuracy \(result.accuracy)")
    }
}
