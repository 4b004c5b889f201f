import Foundation
import Testing

/// `mtk bench`'s options are checked before anything runs: sizes that would trap or exhaust
/// memory, thread counts and durations out of range, options that would do nothing.
@Suite("mtk bench")
struct BenchCommandTests {
    @Test(arguments: [(["engine", "--sizes", "0"], "--sizes: expected matrix sizes from 1 to 8192, got [0]"),
                      (["engine", "--sizes", "1000000"], "--sizes: expected matrix sizes from 1 to 8192"),
                      (["engine", "--threads", "0"], "--threads: expected thread counts from 1 to 1024"),
                      (["engine", "--min-seconds", "nan"], "--min-seconds: expected seconds in (0, 3600]"),
                      (["group", "--candidates", "1000000000000"], "--candidates: expected 1 to 1,000,000"),
                      (["group", "--max-groups", "0"], "--max-groups: expected at least 1"),
                      (["train", "--threads", "0"], "--threads: expected 1 to 1024, got 0"),
                      (["train", "--repeats", "0"], "--repeats: expected at least 1, got 0"),
                      (["train", "--every", "5"], "--every: applies to --affinity, which is not given")])
    func badOptionsAreRefused(options: [String], message: String) throws {
        let outcome = try MTK.run(["bench"] + options, in: FileManager.default.temporaryDirectory)
        #expect(outcome.status != 0 && outcome.output.contains(message) && !outcome.output.contains("Fatal error"), "\(outcome.output)")
    }
}
