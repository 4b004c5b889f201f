import ArgumentParser
import Foundation
import Tensors

/// `mtk doctor`: is OpenBLAS running the right kernels for this CPU, and how fast is sgemm?
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the BLAS setup (OpenBLAS build, core in use, CPU features, threads) and the measured sgemm rate.")

    @Option(help: "Square matrix size for the sgemm measurement.") var size = 1024
    @Option(help: "Seconds of measurement per thread count.") var seconds = 0.5
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        guard size >= 1 else { throw ValidationError("--size must be at least 1, got \(size)") }
        guard seconds.isFinite && seconds >= 0 else { throw ValidationError("--seconds must be a number ≥ 0, got \(seconds)") }
    }

    func run() throws {
        let report = BLASReport.gather(n: size, seconds: seconds)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(report.text)
        }
    }
}
