import ArgumentParser
import Data
import Foundation
import NN

/// `mtk model show|init`: look at a model spec, or write a freshly initialised checkpoint.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect model specs and create initial checkpoints.",
        subcommands: [Show.self, Init.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a spec's layers, parameter names and shapes.")
        @Argument(help: "A built-in spec (reference-mlp, reference-cnn) or a YAML file.") var spec: String
        @Flag(help: "Print the spec as YAML instead.") var yaml = false

        func run() throws {
            let model = try ModelSpec.resolve(spec)
            print(yaml ? model.yaml() : try model.summary())
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a spec's initial parameters as a PyTorch-compatible safetensors checkpoint.")
        @Argument(help: "A built-in spec (reference-mlp, reference-cnn) or a YAML file.") var spec: String
        @Option(parsing: .unconditional, help: "Random seed for the initialisation.") var seed: UInt64 = 0
        @Option(name: .shortAndLong, help: "Output .safetensors file.") var output: String
        @Option(help: "Element type: F32, F16 or BF16.") var dtype: String = "F32"

        func run() throws {
            let model = try ModelSpec.resolve(spec)
            guard !model.heads.isEmpty else {
                throw ValidationError("\(spec): heads: at least one head is needed to initialise a model (training adds a head per task to a spec with heads: {})")
            }
            // Head names are task names, which become folder names: the same rule as for tasks.
            if let (name, problem) = model.heads.lazy.compactMap({ head in TaskName.problem(head.task).map { (head.task, $0) } }).first {
                throw ValidationError("\(spec): heads: '\(name)': \(problem)")
            }
            guard let type = SafetensorsDType(rawValue: dtype.uppercased()), [.f32, .f16, .bf16].contains(type) else {
                throw ValidationError("--dtype must be F32, F16 or BF16, got '\(dtype)'")
            }
            try model.build(seed: seed).save(to: URL(fileURLWithPath: output),
                                              metadata: ["spec": model.yaml(), "seed": "\(seed)", "format": "pt"], dtype: type)
            print("wrote \(output)")
        }
    }
}
