import ArgumentParser
import Foundation
import NN

/// `mtk inspect FILE`: validates a safetensors file or sharded-checkpoint index and lists its tensors.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate a .safetensors file or .safetensors.index.json and list its tensors, totals and metadata.")

    @Argument(help: "A .safetensors file, or the .json index of a sharded checkpoint.") var file: String

    func run() throws {
        do {
            print(try SafetensorsReport.render(URL(fileURLWithPath: file)), terminator: "")
        } catch {
            FileHandle.standardError.write(Data("mtk inspect: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
