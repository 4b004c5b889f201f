import ArgumentParser
import Foundation
import Tensors

/// `mtk bench engine`: matrix product and convolution layers against raw OpenBLAS.
struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Tensor engine versus raw cblas_sgemm; one JSON object per line on stdout.")

    @Option(parsing: .upToNextOption, help: "Thread counts to run.") var threads: [Int] = [1, 2]
    @Option(parsing: .upToNextOption, help: "Square matrix sizes.") var sizes: [Int] = [256, 512, 1024, 2048]
    @Option(help: "Seconds of measurement per timing (at least 3 calls).") var minSeconds = 1.0
    @Flag(help: "Skip the convolution layers.") var noConv = false

    func run() throws {
        for t in threads {
            for n in sizes { emit(EngineBenchmark.matmul(n: n, threads: t, minSeconds: minSeconds)) }
            if !noConv { EngineBenchmark.convLayers(threads: t, minSeconds: minSeconds).forEach(emit) }
        }
    }

    private func emit<T: Encodable>(_ record: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try! encoder.encode(record) + Data("\n".utf8))
    }
}
