import Foundation

/// A learning rate as a function of the epoch (or step) count t = 0, 1, 2, ..., given the base rate.
public protocol LearningRateSchedule: Sendable {
    func learningRate(at t: Int, base: Float) -> Float
}

/// η·γ^⌊t/s⌋ (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule {
    public let stepSize: Int, gamma: Float
    public init(stepSize: Int, gamma: Float = 0.1) { (self.stepSize, self.gamma) = (stepSize, gamma) }
    public func learningRate(at t: Int, base: Float) -> Float {
        Float(Double(base) * Foundation.pow(Double(gamma), Double(t / stepSize)))
    }
}

/// η_min + (η − η_min)·(1 + cos(π·t/T))/2 (PyTorch's `CosineAnnealingLR`, closed form).
public struct CosineAnnealing: LearningRateSchedule {
    public let period: Int, minimum: Float
    public init(period: Int, minimum: Float = 0) { (self.period, self.minimum) = (period, minimum) }
    public func learningRate(at t: Int, base: Float) -> Float {
        let cosine = (1 + Foundation.cos(Double.pi * Double(t) / Double(period))) / 2
        return Float(Double(minimum) + (Double(base) - Double(minimum)) * cosine)
    }
}

/// η·(a + (b − a)·min(t, n)/n): linear warm-up from factor a to b over n steps (PyTorch's `LinearLR`).
public struct LinearWarmup: LearningRateSchedule {
    public let startFactor: Float, endFactor: Float, steps: Int
    public init(startFactor: Float = 1.0 / 3, endFactor: Float = 1, steps: Int = 5) {
        (self.startFactor, self.endFactor, self.steps) = (startFactor, endFactor, steps)
    }
    public func learningRate(at t: Int, base: Float) -> Float {
        let progress = Double(Swift.min(t, steps)) / Double(Swift.max(steps, 1))
        return Float(Double(base) * (Double(startFactor) + (Double(endFactor) - Double(startFactor)) * progress))
    }
}

/// One schedule until each milestone, then the next, restarted at 0 (PyTorch's `SequentialLR`).
public struct SequentialSchedule: LearningRateSchedule {
    public let schedules: [any LearningRateSchedule], milestones: [Int]
    public init(_ schedules: [any LearningRateSchedule], milestones: [Int]) {
        precondition(milestones.count == schedules.count - 1, "SequentialSchedule: need one milestone between each pair of schedules")
        (self.schedules, self.milestones) = (schedules, milestones)
    }
    public func learningRate(at t: Int, base: Float) -> Float {
        let k = milestones.lastIndex(where: { t >= $0 }).map { $0 + 1 } ?? 0
        return schedules[k].learningRate(at: t - (k == 0 ? 0 : milestones[k - 1]), base: base)
    }
}

/// The base rate throughout.
public struct ConstantSchedule: LearningRateSchedule {
    public init() {}
    public func learningRate(at t: Int, base: Float) -> Float { base }
}
