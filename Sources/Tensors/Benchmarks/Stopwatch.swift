/// Repeated timing of a workload: one warm-up call, then calls until `minSeconds` have been
/// measured (at least `minRuns`); best and median seconds per call.
public struct Timing: Sendable, Codable {
    public let runs: Int
    public let best: Double
    public let median: Double

    public static func measure(minSeconds: Double, minRuns: Int = 3, _ body: () -> Void) -> Timing {
        let clock = ContinuousClock()
        body()
        var samples: [Double] = []
        var total = 0.0
        while total < minSeconds || samples.count < minRuns {
            let elapsed = clock.measure(body)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            samples.append(seconds)
            total += seconds
        }
        samples.sort()
        return Timing(runs: samples.count, best: samples[0], median: samples[samples.count / 2])
    }
}
