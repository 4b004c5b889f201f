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

/// `mtk model init` refuses specs it cannot make a whole model of, naming the file.
@Suite("mtk model")
struct ModelCommandTests {
    @Test(arguments: [("heads: {}\n", "heads: at least one head is needed"),
                      ("heads:\n  \"a/../../x\": [{linear: {out: 1}}]\n", "heads: 'a/../../x': a task name may hold")])
    func headlessOrBadlyNamedSpecsAreRefused(heads: String, message: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("m.yaml")
        try Data(("name: m\ninput: [4]\ntrunk: [{linear: {out: 4}}]\n" + heads).utf8).write(to: spec)
        let outcome = try MTK.run(["model", "init", spec.path, "-o", folder.appendingPathComponent("m.safetensors").path], in: folder)
        #expect(outcome.status != 0 && outcome.output.contains("\(spec.path): \(message)"), "\(outcome.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m.safetensors").path))
    }
}
