import ArgumentParser
import Foundation
import Tensors

/// `mtk doctor`: is OpenBLAS running the right kernels for this CPU, and how fast is sgemm?
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the BLAS setup (OpenBLAS build, core in use, CPU features, threads) and the measured sgemm rate.")

    @Option(parsing: .unconditional, help: "Square matrix size for the sgemm measurement, 1 to 8192.") var size = 1024
    @Option(parsing: .unconditional, help: "Seconds of measurement per thread count, 0 to 60.") var seconds = 0.5
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        // 8192 keeps the three matrices at 768 MiB and one product at about 10 s on one slow core.
        guard size >= 1 && size <= 8192 else { throw ValidationError("--size must be between 1 and 8192, got \(size)") }
        guard seconds.isFinite && seconds >= 0 && seconds <= 60 else { throw ValidationError("--seconds must be between 0 and 60, got \(seconds)") }
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
