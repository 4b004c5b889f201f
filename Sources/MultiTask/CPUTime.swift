import Foundation

/// The CPU time this process has used, in seconds (every thread's, so a run on 4 threads counts
/// about 4 s per second): compute that does not depend on what else the machine runs, to compare
/// the costs of estimators measured at different times.
package enum CPUTime {
    static func now() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return .nan }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The sum of `parts` when every one was recorded, else nil (runs saved before CPU time was).
    package static func total(_ parts: [Double?]) -> Double? {
        parts.reduce(Double?(0)) { sum, part in sum.flatMap { s in part.map { s + $0 } } }
    }
}
