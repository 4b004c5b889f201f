import CBLAS
import Dispatch
import Foundation
import Synchronization

/// The one thread-count setting of the engine. It drives OpenBLAS and the engine's own
/// parallel loops. Results are bit-identical for a fixed thread count; the engine's own loops
/// split work so that their results do not depend on the count at all.
public enum ComputeThreads {
    private static let setting = Atomic<Int>(0)

    /// The number of threads in use. Defaults to `MTK_THREADS` if set, else all cores.
    public static var count: Int {
        let n = setting.load(ordering: .relaxed)
        return n > 0 ? n : initialize()
    }

    /// Uses `n` threads (at least 1) for matrix products and the engine's loops. Process-wide.
    public static func set(_ n: Int) {
        _ = count  // one-time process setup
        setting.store(Swift.max(1, n), ordering: .relaxed)
    }

    private static func initialize() -> Int {
        let env = ProcessInfo.processInfo.environment["MTK_THREADS"].flatMap(Int.init)
        let n = Swift.max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        let (exchanged, current) = setting.compareExchange(expected: 0, desired: n, ordering: .relaxed)
        if exchanged { configureProcess() }
        return exchanged ? n : current
    }

    /// OpenBLAS single-threaded (the engine splits products itself, see `BLAS`), and glibc malloc
    /// told to keep large blocks in its heap: training allocates and frees the same tens of
    /// megabytes every step, and returning them to the kernel costs a page fault per 4 KiB.
    private static func configureProcess() {
        openblas_set_num_threads(1)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
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
            task.value((c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
}

/// Runs `body(i)` for each `i` in `0..<count` on up to `ComputeThreads.count` threads, with a fixed
/// assignment of items to workers: worker `w` gets `w * count / workers ..< (w+1) * count / workers`.
/// Used where each worker keeps a private accumulator (its index is passed as `worker`).
func parallelWorkers(_ count: Int, _ body: (_ worker: Int, _ items: Range<Int>) -> Void) -> Int {
    let workers = Swift.max(1, Swift.min(ComputeThreads.count, count))
    if workers == 1 { body(0, 0..<count); return 1 }
    withoutActuallyEscaping(body) { body in
        let task = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            task.value(w, (w * count / workers)..<((w + 1) * count / workers))
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
