import Foundation
import Tensors

extension StudyConfig.Sweep {
    /// `a=1 b=2`: settings (a trial's, a matrix's) by name, as logs, reports and errors show them.
    package static func describe(_ settings: [String: String], separator: String = " ") -> String {
        settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: separator)
    }

    /// Every trial's settings (parameter → value, as text), in run order: the grid's combinations
    /// with the last parameter varying fastest, or `trials` seeded draws (a range drawn uniformly,
    /// or log-uniformly, and rounded to 4 significant digits; a draw that repeats an earlier
    /// trial is drawn again, up to 100 times).
    public func settings() -> [[String: String]] {
        switch search {
        case .grid:
            return parameters.reduce([[:]]) { partial, parameter in
                partial.flatMap { trial in parameter.values!.map { trial.merging([parameter.name: $0]) { $1 } } }
            }
        case .random:
            var generator = RandomGenerator(seed: seed)
            var drawn: [[String: String]] = []
            for _ in 0..<(trials ?? 1) {
                var attempt = 0, trial: [String: String]
                repeat {
                    trial = [:]
                    for parameter in parameters {
                        if let values = parameter.values {
                            trial[parameter.name] = values[generator.nextInt(below: values.count)]
                        } else {
                            let range = parameter.range!, u = Double(generator.next() >> 11) * 0x1p-53
                            let value = parameter.logScale ? exp(log(range.lowerBound) + u * (log(range.upperBound) - log(range.lowerBound)))
                                                           : range.lowerBound + u * (range.upperBound - range.lowerBound)
                            trial[parameter.name] = String(format: "%.4g", value)
                        }
                    }
                    attempt += 1
                } while drawn.contains(trial) && attempt < 100
                if !drawn.contains(trial) { drawn.append(trial) }
            }
            return drawn
        }
    }

    /// `base` with a trial's settings; `checkTasks` (the number of tasks) checks per-task weights.
    static func apply(_ settings: [String: String], to base: TrainingConfig, checkTasks: Int?) throws -> TrainingConfig {
        var training = base
        for (name, text) in settings.sorted(by: { $0.key < $1.key }) {
            func number() throws -> Double {
                guard let value = Double(text), value.isFinite else { throw ConfigurationError("\(name): expected a finite number, got '\(text)'") }
                guard Float(value).isFinite, (Float(value) != 0) == (value != 0) else {
                    throw ConfigurationError("\(name): \(text) is outside what a 32-bit float holds (it would become \(Float(value)))")
                }
                return value
            }
            func integer(_ range: ClosedRange<Int>) throws -> Int {
                guard let value = Int(text), range.contains(value) else { throw ConfigurationError("\(name): expected an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'") }
                return value
            }
            switch name {
            case "lr":
                let value = try number()
                guard value > 0 else { throw ConfigurationError("lr: expected a positive learning rate, got \(text)") }
                training.optimizer.learningRate = Float(value)
            case "batch_size": training.batchSize = try integer(1...1_000_000)
            case "epochs": training.epochs = try integer(1...100_000)
            case "optimizer": training.optimizer.kind = text
            case "weighting", "loss_weights": training.weighting = StudyConfig.canonicalWeighting(text, tasks: checkTasks)
            case "gradient_method": training.gradientMethod = GradientMethods.canonical(text)
            case "weight_decay": training.optimizer.weightDecay = Float(try number())
            case "momentum": training.optimizer.momentum = Float(try number())
            case "seed":
                guard let seed = UInt64(text) else { throw ConfigurationError("seed: expected an integer from 0 to 18446744073709551615, got '\(text)'") }
                training.seed = seed
            default: throw ConfigurationError("'\(name)' cannot be swept (these can: \(StudyConfig.sweepable.joined(separator: ", ")))")
            }
        }
        try training.validate()
        // Names (and per-task weights, once the tasks are known) before any training.
        if checkTasks != nil || !training.weighting.hasPrefix("static") { _ = try Weightings.make(training.weighting, tasks: checkTasks ?? 2, seed: 0) }
        if let method = training.gradientMethod { _ = try GradientMethods.make(method, tasks: checkTasks ?? 2, seed: 0) }
        return training
    }
}
