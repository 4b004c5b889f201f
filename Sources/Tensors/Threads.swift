import CBLAS
import Dispatch
import Foundation

/// The thread count of the engine, scoped to a computation: `ComputeThreads.with(n) { ... }`
/// runs its body (and every parallel loop and matrix product inside it) on `n` threads, without
/// touching any other computation in the process — two trainings with different counts can run
/// side by side. Outside any scope the count is `MTK_THREADS` if set, else all cores.
///
/// Results are bit-identical for a fixed thread count; the engine's element-wise loops split work
/// so that their results do not depend on the count at all.
public enum ComputeThreads {
    @TaskLocal private static var scoped: Int?

    /// The number of threads the current computation uses.
    @inline(__always)
    public static var count: Int { scoped ?? processDefault }

    /// `MTK_THREADS` if set to a positive number, else the number of active cores.
    public static var processDefault: Int { setup.defaultCount }

    /// Runs `body` with the engine on `n` threads (at least 1). Nested scopes override outer ones.
    public static func with<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        _ = setup
        return try $scoped.withValue(Swift.max(1, n), operation: body)
    }

    /// Runs `body` with the same count as the current computation: for work handed to another
    /// thread (a parallel loop's workers), which would otherwise fall back to the default.
    @inline(__always)
    static func inheriting<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(n, operation: body)
    }

    private static let setup = ProcessSetup()

    /// One-time process setup, which changes no result: OpenBLAS single-threaded (the engine
    /// splits products itself, see `BLAS`), and glibc malloc told to keep large blocks in its heap
    /// (training allocates and frees the same tens of megabytes every step, and returning them to
    /// the kernel costs a page fault per 4 KiB).
    private struct ProcessSetup: Sendable {
        let defaultCount: Int
        init() {
            let env = ProcessInfo.processInfo.environment["MTK_THREADS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
            defaultCount = env ?? Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
            openblas_set_num_threads(1)
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        }
    }
}

/// Runs `body` over `0..<count` split into contiguous chunks, one per thread, when the work is
/// large enough (`count * costPerItem` above ~64k element-operations); serially otherwise.
/// `body` must write disjoint outputs per index so that the split never changes a result.
@inline(__always)
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = ComputeThreads.count
    let work = count * Swift.max(costPerItem, 1)
    let chunks = Swift.min(threads, count, Swift.max(1, work / 65_536))
    if chunks <= 1 { body(0..<count); return }
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            ComputeThreads.inheriting(threads) { task.value((c * count / chunks)..<((c + 1) * count / chunks)) }
        }
    }
}

/// Runs `body(i)` for each `i` in `0..<count` on up to `ComputeThreads.count` threads, with a fixed
/// assignment of items to workers: worker `w` gets `w * count / workers ..< (w+1) * count / workers`.
/// Used where each worker keeps a private accumulator (its index is passed as `worker`).
func parallelWorkers(_ count: Int, _ body: (_ worker: Int, _ items: Range<Int>) -> Void) -> Int {
    let threads = ComputeThreads.count
    let workers = Swift.max(1, Swift.min(threads, count))
    if workers == 1 { body(0, 0..<count); return 1 }
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            ComputeThreads.inheriting(threads) { task.value(w, (w * count / workers)..<((w + 1) * count / workers)) }
        }
    }
    return workers
}

/// Carries a value into `concurrentPerform`'s `@Sendable` closure. Safe here because every
/// worker writes a disjoint part of the output and the call returns only when all are done.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
