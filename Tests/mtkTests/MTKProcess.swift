import Foundation
import Testing

/// The `mtk` binary that `swift test` built beside the test bundle, run as a user would.
enum MTK {
    static let binary: URL = {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL]
        for folder in candidates where FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("mtk").path) {
            return folder.appendingPathComponent("mtk")
        }
        return candidates[0].appendingPathComponent("mtk")
    }()

    struct Outcome {
        var status: Int32
        var output: String
        /// Whether the process ended by a signal rather than exiting.
        var signalled: Bool
    }

    /// Starts `mtk arguments` with stdout and stderr going to one file.
    static func start(_ arguments: [String], log: URL, environment: [String: String] = [:]) throws -> Process {
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "mtk was not built beside the tests at \(binary.path)")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["MTK_THREADS"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `mtk arguments` to the end.
    @discardableResult
    static func run(_ arguments: [String], in folder: URL) throws -> Outcome {
        let log = folder.appendingPathComponent("log-\(UUID().uuidString).txt")
        let process = try start(arguments, log: log)
        process.waitUntilExit()
        return outcome(process, log: log)
    }

    static func outcome(_ process: Process, log: URL) -> Outcome {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return Outcome(status: process.terminationStatus, output: text, signalled: process.terminationReason == .uncaughtSignal)
    }
}

/// Runs `mtk` again and again, SIGKILLing each run at a seeded point, until one ends by itself.
/// Kills are placed by progress, not by the clock, so a test means the same on a fast machine and
/// a slow one: after a seeded number (below `lines`) of the run's log lines that `counts`, plus
/// 0-`extraMilliseconds` ms, wherever that lands. `arguments` gives each run's command line.
struct KillLoop {
    var seed: UInt64
    var lines: Int
    var extraMilliseconds = 30
    var maxRuns = 80

    /// The number of kills and whether a run finished (exit 0; other exits are recorded issues).
    func run(log: URL, counts: (Substring) -> Bool, arguments: () -> [String]) throws -> (kills: Int, finished: Bool) {
        var generator = seed
        func next(_ bound: Int) -> Int {
            generator = generator &* 6364136223846793005 &+ 1442695040888963407
            return Int(generator >> 33) % bound
        }
        var kills = 0
        for _ in 0..<maxRuns {
            let (threshold, extra) = (next(lines), next(extraMilliseconds))
            let process = try MTK.start(arguments(), log: log)
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning && ContinuousClock.now < deadline {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if text.split(separator: "\n").filter(counts).count >= threshold { break }
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: Double(extra) / 1000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            process.waitUntilExit()
            let outcome = MTK.outcome(process, log: log)
            if !outcome.signalled {
                #expect(outcome.status == 0, "\(outcome.output)")
                return (kills, outcome.status == 0)
            }
        }
        return (kills, false)
    }
}

/// A folder with a small regression + 3-class CSV table (and, with `thirdTask`, a second
/// regression task z = x0·x1) and a tabular model spec.
struct TabularFixture {
    let folder: URL
    var csv: URL { folder.appendingPathComponent("table.csv") }
    var spec: URL { folder.appendingPathComponent("tabular.yaml") }

    init(rows: Int = 400, thirdTask: Bool = false) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {  // splitmix64: fixed data on every machine
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1
        }
        var lines = ["f0,f1,f2,f3,task:y:regression,task:c:multiclass" + (thirdTask ? ",task:z:regression" : "")]
        for _ in 0..<rows {
            let x = (0..<4).map { _ in uniform() }
            let y = 0.5 * x[0] - x[1] + 0.1 * uniform()
            let c = (x[2] > 0 ? 1 : 0) + (x[3] > 0.3 ? 1 : 0)
            lines.append(x.map { String(format: "%.4f", $0) }.joined(separator: ",") + String(format: ",%.4f,%d", y, c)
                         + (thirdTask ? String(format: ",%.4f", x[0] * x[1]) : ""))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
        try "name: tabular\ninput: [4]\ntrunk: [{linear: {out: 16}}, relu]\nheads: {}\n".write(to: spec, atomically: true, encoding: .utf8)
    }

    /// `mtk train` on this table into `run`, with `extra` options.
    func train(_ run: String, _ extra: [String] = []) -> [String] {
        ["train", "--csv", csv.path, "--model", spec.path, "--batch-size", "8", "--epochs", "3", "--seed", "3", "-o", folder.appendingPathComponent(run).path] + extra
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
