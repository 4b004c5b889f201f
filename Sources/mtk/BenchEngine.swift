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

    func validate() throws {
        guard !threads.isEmpty, threads.allSatisfy({ (1...1024).contains($0) }) else { throw ValidationError("--threads: expected thread counts from 1 to 1024, got \(threads)") }
        // Three n × n Float matrices: 8192 needs 805 MB.
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...8192).contains($0) }) else { throw ValidationError("--sizes: expected matrix sizes from 1 to 8192, got \(sizes)") }
        guard minSeconds > 0, minSeconds <= 3600 else { throw ValidationError("--min-seconds: expected seconds in (0, 3600], got \(minSeconds)") }
    }

    func run() throws {
        for t in threads {
            for n in sizes { try emit(EngineBenchmark.matmul(n: n, threads: t, minSeconds: minSeconds)) }
            if !noConv { try EngineBenchmark.convLayers(threads: t, minSeconds: minSeconds).forEach(emit) }
        }
    }

    private func emit<T: Encodable>(_ record: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        FileHandle.standardOutput.write(try encoder.encode(record) + Data("\n".utf8))
    }
}
