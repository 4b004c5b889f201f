import Files
import Data
import Foundation
import NN
import Optimizers
import Testing
import Tensors
@testable import MultiTask

/// Run directories under faults: every save is one consistent snapshot, one process at a time,
/// no mixing of runs, and corrupt state is a clear error naming the file.
@Suite("Run directories")
struct RunDirectoryTests {
    private func model(_ data: PreparedData, seed: UInt64 = 5) throws -> MultiTaskModel {
        try MultiTaskModel(spec: smallSpec, tasks: data.tasks, seed: seed)
    }

    /// An uninterrupted run's final weights, for comparison.
    private func straightRun(_ data: PreparedData, _ config: TrainingConfig) throws -> ParameterSet {
        let trainer = try Trainer(model: try model(data), train: data.train, validation: data.validation, config: config)
        try trainer.run()
        return trainer.model.network.stateDict()
    }

    /// Runs to `steps` and stops resumably, then releases the directory.
    private func runUntil(_ steps: Int, _ data: PreparedData, _ config: TrainingConfig, in dir: URL) throws {
        var limited = config
        limited.maxSteps = steps
        let trainer = try Trainer(model: try model(data), train: data.train, validation: data.validation, config: limited, directory: dir)
        #expect(try trainer.run().steps == steps)
    }

    private func names(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// A save that fails at any point (files written, before the pointer switch, after it) leaves
    /// either the old or the new snapshot current, never a mix; the run then resumes bit-exactly.
    @Test(arguments: RunDirectory.SavePoint.allCases)
    func failedSaveLeavesAConsistentSnapshot(point: RunDirectory.SavePoint) throws {
        struct Injected: Error {}
        let data = try smallData(seed: 7)
        let config = smallConfig(epochs: 3)
        let expected = try straightRun(data, config)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try runUntil(4, data, config, in: dir)
        do {
            let trainer = try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks)
            trainer.directory!.faultInjection = { if $0 == point { throw Injected() } }
            #expect(throws: Injected.self) { try trainer.run() }  // the end-of-epoch save at step 6 fails
        }
        let run = try RunDirectory.reading(dir)
        let state = try RunDirectory.readJSON(TrainingState.self, from: try #require(try run.current()).stateFile)
        #expect(state.globalStep == (point == .afterSwitch ? 6 : 4))
        let resumed = try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks)
        try resumed.run()
        #expect(resumed.model.network.stateDict() == expected)
        #expect(!names(in: dir).contains { $0.hasSuffix(".tmp") })
        #expect(names(in: run.snapshots).count <= 2)
    }

    /// A run stopped before its first snapshot (identity written, nothing else) restarts cleanly.
    @Test func runWithoutSnapshotRestartsFromTheBeginning() throws {
        let data = try smallData(seed: 8)
        let config = smallConfig(epochs: 2)
        let trainer = try Trainer(model: try model(data, seed: config.seed), train: data.train, validation: data.validation, config: config)
        try trainer.run()
        let expected = trainer.model.network.stateDict()
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try Trainer(model: try model(data, seed: config.seed), train: data.train, validation: data.validation, config: config, directory: dir) }
        let run = try RunDirectory.reading(dir)
        #expect(try run.current()?.sequence == 1)  // the initial weights, saved at creation
        try FileManager.default.removeItem(at: run.pointer)  // as if killed between writing the identity and that save
        #expect(try run.current() == nil)
        let resumed = try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks)
        try resumed.run()
        #expect(resumed.model.network.stateDict() == expected)
    }

    /// Temporary files of killed writes and snapshot folders no pointer names are removed when
    /// the run is opened again; the views are re-linked to the current snapshot.
    /// A directory refused for holding other files is left as it was: no lock file of ours.
    @Test func refusedDirectoryKeepsNoLock() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("mine".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        #expect(throws: RunDirectoryError.self) { _ = try RunDirectory.create(dir, overwrite: false) }
        #expect(throws: RunDirectoryError.self) { _ = try RunDirectory.create(dir, overwrite: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes.txt"])
    }

    @Test func staleFilesAreCleanedOnOpen() throws {
        let data = try smallData(seed: 9)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try runUntil(3, data, smallConfig(epochs: 2), in: dir)
        let run = try RunDirectory.reading(dir)
        let current = try #require(try run.current())
        try Foundation.Data([1, 2, 3]).write(to: dir.appendingPathComponent(".last.safetensors.1234\(AtomicWrite.temporarySuffix)"))
        try FileManager.default.createDirectory(at: run.snapshots.appendingPathComponent("00000099"), withIntermediateDirectories: true)
        try FileManager.default.removeItem(at: run.lastModel)
        do { _ = try RunDirectory.open(dir) }
        #expect(names(in: dir).allSatisfy { !$0.hasSuffix(".tmp") }, "\(names(in: dir))")
        #expect(names(in: run.snapshots) == [Snapshot.folderName(current.sequence)])
        #expect(FileManager.default.contentsEqual(atPath: run.lastModel.path, andPath: current.modelFile.path))
    }

    /// One process at a time: a second opener fails at once, naming the owner; once the first
    /// is gone (or its lock file is stale), the directory can be used again.
    @Test func secondOpenerFailsWhileTheFirstHoldsTheLock() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let first = try RunDirectory.create(dir, overwrite: false)
            #expect(throws: RunDirectoryError.inUse(path: dir.path, pid: getpid())) { try RunDirectory.create(dir, overwrite: true) }
            _ = first
        }
        try "999999\n".write(to: dir.appendingPathComponent("lock"), atomically: false, encoding: .utf8)  // left by a killed process
        _ = try RunDirectory.create(dir, overwrite: false)
    }

    /// A new run never mixes with an old one: refused without --overwrite; with it, the old run's
    /// files (a best checkpoint of another architecture, say) are gone, and foreign files stay.
    @Test func newRunInAnOccupiedDirectory() throws {
        let data = try smallData(seed: 10)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var wide = smallSpec
        wide.trunk = [.linear(in: nil, out: 32, bias: true), .tanh]
        do {
            let old = try Trainer(model: try MultiTaskModel(spec: wide, tasks: data.tasks, seed: 1), train: data.train,
                                  validation: data.validation, config: smallConfig(epochs: 1), directory: dir)
            try old.run()
        }
        #expect(throws: RunDirectoryError.holdsARun(path: dir.path)) {
            try Trainer(model: try model(data), train: data.train, validation: nil, config: smallConfig(epochs: 1), directory: dir)
        }
        try "notes".write(to: dir.appendingPathComponent("NOTES.txt"), atomically: true, encoding: .utf8)
        do {
            let new = try Trainer(model: try model(data), train: data.train, validation: nil, config: smallConfig(epochs: 1), directory: dir, overwrite: true)
            try new.run()
        }
        let run = try RunDirectory.reading(dir)
        #expect(!FileManager.default.fileExists(atPath: run.bestModel.path))  // no validation: no best, and the old one is gone
        #expect(try SafetensorsFile(contentsOf: run.lastModel).entries.first { $0.name == "trunk.0.weight" }?.shape == [16, 8])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("NOTES.txt").path))
        // A directory of someone else's files is refused even with --overwrite.
        let other = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: other) }
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try "x".write(to: other.appendingPathComponent("thesis.tex"), atomically: true, encoding: .utf8)
        for overwrite in [false, true] {
            #expect(throws: RunDirectoryError.notEmpty(path: other.path, entries: ["thesis.tex"])) { try RunDirectory.create(other, overwrite: overwrite) }
        }
    }

    /// A run directory holds the run's files and nothing of it removes anything else: a run may
    /// not start inside another (except the run's own baselines), resuming prunes only snapshot
    /// folders, and --overwrite removes only the old run's snapshots and baseline runs.
    @Test func runsNeverRemoveWhatIsNotTheirs() throws {
        let data = try smallData(seed: 10)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try runUntil(8, data, smallConfig(epochs: 2), in: dir)
        let inside = dir.appendingPathComponent("snapshots/00000007")
        #expect { try RunDirectory.create(inside, overwrite: false) } throws: { "\($0)".contains("inside the run directory \(dir.path)") }
        #expect(!FileManager.default.fileExists(atPath: inside.path))
        // Someone's files in snapshots/ and baselines/, and a run of theirs in snapshots/.
        let mine = [dir.appendingPathComponent("snapshots/notes.txt"), dir.appendingPathComponent("baselines/mine/data"), dir.appendingPathComponent("snapshots/00000009/config.json"),
                    dir.appendingPathComponent("baselines/other/config.json")]
        let baselineRun = dir.appendingPathComponent("baselines/task0/config.json")  // a file of the run's own baseline for task0
        for file in mine + [baselineRun] {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try "x".write(to: file, atomically: true, encoding: .utf8)
        }
        do {
            let resumed = try Trainer.resume(run: try RunDirectory.open(dir), train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges())
            try resumed.run()
        }
        for file in mine { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path) survives a resume") }
        // A note in a baseline's folder would block the new baseline: --overwrite is refused first, removing nothing.
        let note = dir.appendingPathComponent("baselines/task0/mynote.txt")
        try "x".write(to: note, atomically: true, encoding: .utf8)
        #expect { try RunDirectory.create(dir, overwrite: true) } throws: { "\($0)".contains("baselines/task0 is not empty and not a run directory (it has mynote.txt)") }
        #expect(FileManager.default.fileExists(atPath: baselineRun.path) && FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path))
        try FileManager.default.removeItem(at: note)
        do {
            let fresh = try Trainer(model: try model(data), train: data.train, validation: data.validation, config: smallConfig(epochs: 1), directory: dir, overwrite: true)
            try fresh.run()
        }
        for file in mine { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.path) survives --overwrite") }
        #expect(!FileManager.default.fileExists(atPath: baselineRun.path), "the old run's own baseline files go")
        #expect(try RunDirectory.reading(dir).current()?.sequence ?? 0 > 0)
    }

    /// A config.json edited after the last snapshot is an error naming the file and the settings,
    /// not a silently different run; put back, the run resumes.
    @Test func editedConfigIsRefusedOnResume() throws {
        let data = try smallData(seed: 10)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try runUntil(8, data, smallConfig(epochs: 2), in: dir)
        let file = dir.appendingPathComponent("config.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        for (from, to, field) in [("\"learningRate\" : 0.05", "\"learningRate\" : 0.5", "training.optimizer.learningRate is 0.5, saved with 0.05"),
                                  ("\"batchSize\" : 32", "\"batchSize\" : 64", "training.batchSize is 64, saved with 32"),
                                  ("\"strictInit\" : false", "\"strictInit\" : true", "strictInit is true, saved with false")] {
            #expect(original.contains(from), "\(from)")
            try original.replacingOccurrences(of: from, with: to).write(to: file, atomically: true, encoding: .utf8)
            #expect { try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks) } throws: {
                "\($0)".contains("\(file.path): was edited after the run's last snapshot (\(field))")
            }
        }
        try original.write(to: file, atomically: true, encoding: .utf8)
        try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks, changes: ResumeChanges(epochs: 3)).run()
    }

    /// What a start killed before its config.json left (a spec, a lock, a temporary file) is not
    /// a run: a new run may take the directory without --overwrite.
    @Test func debrisOfAKilledStartIsNotARun() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["model.yaml", "lock", ".config.json.ABC\(AtomicWrite.temporarySuffix)"] {
            try "x".write(to: dir.appendingPathComponent(name), atomically: false, encoding: .utf8)
        }
        _ = try RunDirectory.create(dir, overwrite: false)
        #expect(names(in: dir) == ["lock"])
    }

    /// Corrupt or inconsistent saved state is an error on resume that names the file.
    @Test(arguments: ["negative step", "steps disagree", "NaN moment", "files from different saves", "bad pointer", "missing snapshot", "not JSON",
                      "wrong type", "overflowing epoch", "lost pointer", "NaN best", "best of another epoch", "flipped byte"])
    func corruptStateIsAClearError(damage: String) throws {
        let data = try smallData(seed: 11)
        var config = smallConfig(epochs: 2)
        config.optimizer.kind = "adam"
        config.optimizer.momentum = 0
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try runUntil(9, data, config, in: dir)  // past the first epoch (6 steps): a best epoch exists
        let run = try RunDirectory.reading(dir)
        let snapshot = try #require(try run.current())
        var expectedFile = snapshot.stateFile.path
        func editState(_ edit: (inout [String: Any]) -> Void) throws {
            var object = try #require(try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: snapshot.stateFile)) as? [String: Any])
            edit(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: snapshot.stateFile)
        }
        switch damage {
        case "negative step": try editState { $0["stepInEpoch"] = -1 }
        case "steps disagree": try editState { $0["globalStep"] = 2 }
        case "wrong type": try editState { $0["epoch"] = "one" }
        case "overflowing epoch": try editState { $0["epoch"] = 4_000_000_000_000_000_000 }
        case "flipped byte":  // damage on disk that keeps the file well-formed
            var bytes = [UInt8](try Foundation.Data(contentsOf: snapshot.modelFile))
            bytes[bytes.count - 3] ^= 0x01
            try FileManager.default.removeItem(at: snapshot.modelFile)
            try Foundation.Data(bytes).write(to: snapshot.modelFile)
            expectedFile = snapshot.modelFile.path
        case "lost pointer":  // progress saved, pointer gone: an error, never a silent restart
            try FileManager.default.removeItem(at: run.pointer)
            expectedFile = run.pointer.path
        case "NaN best", "best of another epoch":
            let (tensors, metadata) = try Safetensors.load(snapshot.bestFile)
            let edited = damage == "NaN best" ? tensors.map { ($0.name, $0.name.hasSuffix("bias") ? $0.tensor * Float.nan : $0.tensor) } : tensors.map { ($0.name, $0.tensor) }
            try FileManager.default.removeItem(at: snapshot.bestFile)  // a hard link: replace, not write through
            try Safetensors.write(edited, metadata: damage == "NaN best" ? metadata : metadata.merging(["epoch": "7"]) { $1 }, to: snapshot.bestFile)
            expectedFile = snapshot.bestFile.path
        case "not JSON": try Foundation.Data("{\"epoch\": ".utf8).write(to: snapshot.stateFile)
        case "NaN moment":
            let saved = try OptimizerState.readWithMetadata(from: snapshot.optimizerFile)
            var state = saved.state
            let name = state.tensors.names.first { $0.hasPrefix("exp_avg_sq.") }!
            state.tensors[name] = Tensor(shape: state.tensors[name]!.shape, scalars: state.tensors[name]!.scalars.map { _ in .nan })
            try state.write(to: snapshot.optimizerFile, metadata: saved.metadata)
            try editState { $0["files"] = [String: String]() }  // past the fingerprints, to the values themselves
            expectedFile = snapshot.optimizerFile.path
        case "files from different saves":
            let (tensors, metadata) = try Safetensors.load(snapshot.modelFile)
            try Safetensors.write(tensors.map { ($0.name, $0.tensor) }, metadata: metadata.merging(["step": "2"]) { $1 }, to: snapshot.modelFile)
            expectedFile = snapshot.modelFile.path
        case "bad pointer":
            try Foundation.Data("{\"sequence\": 0}".utf8).write(to: run.pointer)
            expectedFile = run.pointer.path
        case "missing snapshot":
            try FileManager.default.removeItem(at: snapshot.url)
            expectedFile = run.pointer.path
        default: Issue.record("unknown damage")
        }
        #expect {
            try Trainer.resume(directory: dir, train: data.train, validation: data.validation, tasks: data.tasks)
        } throws: { error in
            let text = "\(error)"
            return error is RunDirectoryError && text.hasPrefix(expectedFile) && !text.contains("NSCocoaErrorDomain") && !text.contains("Code=")
        }
    }

    /// A lock file that is a symbolic link is never followed (it would truncate its target).
    /// A snapshot file's fingerprint is streamed, so files above any in-memory limit (the Adam
    /// state of a model of GBs) can be checked; it equals the hash of the whole file at once.
    @Test func fileFingerprintsAreStreamedAndEqualTheWholeFilesHash() throws {
        func whole(_ bytes: [UInt8]) -> String {  // the hash over one buffer: the oracle
            func step(_ h: UInt64, _ word: UInt64) -> UInt64 { var x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15; x ^= x >> 29; return x }
            var h = step(0x1319_8A2E_0370_7344, UInt64(bytes.count)), i = 0
            bytes.withUnsafeBytes { raw in
                while i + 8 <= raw.count {
                    h = step(h, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    i += 8
                }
            }
            while i < bytes.count { h = step(h, UInt64(bytes[i])); i += 1 }
            return String(h, radix: 16)
        }
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var rng = RandomGenerator(seed: 1)
        for count in [0, 13, 16 << 20, (16 << 20) + 13] {
            var bytes = [UInt8](repeating: 0, count: count)
            for i in stride(from: 0, to: count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
            if count > 0 { bytes[count - 1] = 7 }
            let file = directory.appendingPathComponent("f\(count)")
            try Foundation.Data(bytes).write(to: file)
            #expect(try DataFingerprint.of(file: file) == whole(bytes), "\(count) bytes")
        }
    }

    /// Decoding errors read as the file's problem, never Swift's internals: a type's private
    /// name, an enum's "Cannot initialize ... from invalid String value".
    @Test func decodingErrorsAreWorded() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.json")
        try Foundation.Data(#"{"tasks":["a","b"],"values":[[1,0],[0,1]],"method":"x","orientation":"sideways","settings":{},"steps":[],"seconds":0}"#.utf8).write(to: file)
        #expect { try AffinityMatrix.readJSON(from: file) } throws: { "\($0)".hasSuffix("'orientation': 'sideways' is not one of the values it can take)") }
        struct Pointer: Decodable { var sequence: Int }
        try Foundation.Data("xx".utf8).write(to: file)
        #expect { try RunDirectory.readJSON(Pointer.self, from: file) } throws: { "\($0)".hasSuffix("m.json: not a valid Pointer file (not valid JSON)") }
    }

    @Test func lockFileSymlinkIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let precious = dir.appendingPathComponent("precious.txt")
        try "keep me".write(to: precious, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("lock").path, withDestinationPath: precious.path)
        #expect { try RunDirectory.create(dir, overwrite: true) } throws: { "\($0)".contains("it is a symbolic link") }
        #expect(try String(contentsOf: precious, encoding: .utf8) == "keep me")
    }

    /// Two trainings in one process, at the same time, on different thread counts: each equals
    /// the same training run alone (the count is scoped to each, not global).
    @Test func concurrentTrainingsWithDifferentThreadCountsDoNotDisturbEachOther() throws {
        let data = try smallData(seed: 12, examples: 600)
        let configs = [1, 2].map { threads in
            var c = smallConfig(epochs: 2)
            c.threads = threads
            return c
        }
        let alone = try configs.map { try straightRun(data, $0) }
        let results = UnsafeMutableTransferBox<[ParameterSet?]>([nil, nil])
        let group = DispatchGroup()
        for (k, config) in configs.enumerated() {
            group.enter()
            Thread {
                let trainer = try? Trainer(model: try model(data), train: data.train, validation: data.validation, config: config)
                _ = try? trainer?.run()
                results.value[k] = trainer?.model.network.stateDict()
                group.leave()
            }.start()
        }
        group.wait()
        #expect(results.value[0] == alone[0] && results.value[1] == alone[1])
    }

    /// Parallel workers see the thread count of the computation that started them.
    @Test func workersInheritTheScopedCount() {
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { seen.deallocate() }
        seen.initialize(repeating: 0)
        ComputeThreads.with(3) {
            parallelChunks(3, costPerItem: 1 << 20) { range in
                for i in range { seen[i] = ComputeThreads.count }
            }
        }
        #expect(Array(seen) == [3, 3, 3])
        #expect(ComputeThreads.with(1) { ComputeThreads.count } == 1 && ComputeThreads.with(1) { ComputeThreads.with(2) { ComputeThreads.count } } == 2)
    }
}

/// A box shared with other threads in a test; each writes its own slot, read after they finish.
final class UnsafeMutableTransferBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
