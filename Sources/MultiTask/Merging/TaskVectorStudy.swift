import Data
import Foundation
import NN
import Tensors

/// What task vectors say about a set of tasks, measured on a model's own data:
/// - their norms, cosine matrix and Subspace Alignment Ratio to their sum;
/// - α sweeps: θ_pre + α·τ_t for α on a grid, evaluated on every task with each task's own
///   fine-tuned head — which tasks a task's update helps or hurts (the transfer curves);
/// - task addition: θ_pre + α·Σ_t τ_t with α chosen on validation (never test).
/// Metrics are each task's first (accuracy, or MAE for regression), normalised against the
/// task's fine-tuned model: metric ÷ baseline when higher is better, baseline ÷ metric when
/// lower is better (1 = as good as fine-tuning on the task alone). Each swept model is built from
/// one task vector; a study that merged every task vector's entries into one dictionary (as one
/// source notebook does) would sweep the last task's trunk instead.
public struct TaskVectorStudy {
    public struct Settings: Sendable, Equatable, Codable {
        /// The grid of α (default 0 to 1.5 by 0.1).
        public var alphas: [Double] = (0...15).map { Double($0) / 10 }
        /// Name patterns of the shared parameters that task vectors cover.
        public var include: [String] = ["trunk.*"]
        /// Merge methods compared with task addition over the same α grid (TIES, Yadav et al.
        /// 2023; DARE, Yu et al. 2024), each with α chosen on validation.
        public var merges: [MergeMethod]?
        /// TIES's kept fraction and DARE's kept fraction (1 − drop rate) [0.2].
        public var density: Double?
        /// TIES's and DARE's density when none is given.
        public static let defaultDensity = 0.2
        public init() {}
    }

    /// One merge method over the α grid: θ_pre + α·merge(τ_1, ..., τ_n).
    public struct Merge: Sendable, Equatable, Codable {
        public var method: MergeMethod
        public var points: [Point]
        /// Chosen on validation's mean normalised metric; both means at that α.
        public var chosenAlpha: Double
        public var validationMean: Double
        public var testMean: Double
    }

    /// One task's metric on a split: its value and normalised value.
    public struct Score: Sendable, Equatable, Codable {
        public var value: Double
        public var normalized: Double
    }

    /// A model evaluated on every task.
    public struct Point: Sendable, Equatable, Codable {
        public var alpha: Double
        public var validation: [Score]
        public var test: [Score]
        public var validationMean: Double { validation.map(\.normalized).reduce(0, +) / Double(validation.count) }
        public var testMean: Double { test.map(\.normalized).reduce(0, +) / Double(test.count) }
    }

    public struct Result: Sendable, Equatable, Codable {
        public var tasks: [String]
        /// Each task's metric (its first) and direction.
        public var metrics: [String]
        public var higherIsBetter: [Bool]
        /// The fine-tuned models' own metrics, the normalisation's baselines.
        public var baselineValidation: [Double]
        public var baselineTest: [Double]
        public var norms: [Double]
        public var cosine: AffinityMatrix
        /// SAR of each task vector to the sum of all.
        public var alignment: [Double]
        /// `sweeps[t]`: θ_pre + α·τ_t over the grid.
        public var sweeps: [[Point]]
        /// θ_pre + α·Σ τ over the grid, and the α chosen on validation.
        public var addition: [Point]
        public var chosenAlpha: Double
        /// The other merge methods, when asked for.
        public var merges: [Merge]?
        public var settings: Settings
    }

    public let spec: ModelSpec
    public let tasks: [TaskSpec]
    public let pretrained: ParameterSet
    /// Each task's fine-tuned model (state dicts; each holds at least the trunk and its task's head).
    public let finetuned: [ParameterSet]
    public let settings: Settings

    /// `spec` must cover every task (heads named heads.TASK); checked here with the inputs.
    public init(spec: ModelSpec, tasks: [TaskSpec], pretrained: ParameterSet, finetuned: [ParameterSet], settings: Settings = Settings()) throws {
        guard tasks.count == finetuned.count, !tasks.isEmpty else { throw ConfigurationError("task vectors: one fine-tuned model per task is needed (\(tasks.count) tasks, \(finetuned.count) models)") }
        guard !settings.alphas.isEmpty, settings.alphas.allSatisfy(\.isFinite) else { throw ConfigurationError("task vectors: the α grid must hold finite numbers") }
        if let bad = settings.merges?.first(where: { !$0.needsBase || $0 == .fisher }) {
            throw ConfigurationError("task vectors: merge '\(bad.rawValue)' does not merge task vectors; use task_arithmetic, ties, dare_linear or dare_ties")
        }
        if let density = settings.density, !(density > 0 && density <= 1) { throw ConfigurationError("task vectors: density must be in (0, 1], got \(density)") }
        (self.spec, self.tasks, self.pretrained, self.finetuned, self.settings) = (spec, tasks, pretrained, finetuned, settings)
        let patterns = settings.include.map { "'\($0)'" }.joined(separator: ", ")
        guard !settings.include.isEmpty, !settings.include.contains("") else { throw ConfigurationError("task vectors: include: a pattern is empty (expected name patterns such as trunk.*)") }
        // Each pattern must select something: one that matches nothing is a typo, not a no-op.
        for pattern in settings.include where !pretrained.names.contains(where: { MergeConfig.matches($0, pattern) }) {
            throw ConfigurationError("task vectors: include '\(pattern)' matches no tensor of the pretrained model (it has \(pretrained.names.prefix(4).joined(separator: ", "))\(pretrained.count > 4 ? ", ..." : ""))")
        }
        for (task, model) in zip(tasks, finetuned) {
            do { _ = try TaskVectors.make(pretrained: pretrained, finetuned: model, include: shared) } catch let error as ConfigurationError {
                throw ConfigurationError("task vectors: \(task.name)'s model, with include \(patterns): \(error.message.replacingOccurrences(of: "task vector: ", with: ""))")
            }
        }
    }

    func shared(_ name: String) -> Bool { settings.include.contains { MergeConfig.matches(name, $0) } }

    /// τ_t for every task.
    public func vectors() throws -> [ParameterSet] {
        try finetuned.map { try TaskVectors.make(pretrained: pretrained, finetuned: $0, include: shared) }
    }

    /// Runs the whole study on `data`'s validation and test splits.
    public func run(_ data: PreparedData, progress: (String) -> Void = { _ in }) throws -> Result {
        try run(data, progress: progress, shouldStop: { false })!
    }

    /// `run`, checking `shouldStop` between evaluations: nil when it asked to stop.
    public func run(_ data: PreparedData, progress: (String) -> Void = { _ in }, shouldStop: () -> Bool) throws -> Result? {
        guard let validation = data.validation else { throw ConfigurationError("task vectors: α is chosen on validation, and the validation fraction is 0") }
        let vectors = try self.vectors()
        let names = tasks.map(\.name)
        guard validation.count > 0, data.test.count > 0 else { throw ConfigurationError("task vectors: the validation or test split is empty") }
        let model = try MultiTaskModel(spec: spec, tasks: tasks, seed: 0)
        let state = model.network.stateDict()
        let trunkPre = pretrained.filter(shared)
        // The heads: each task's own, from its fine-tuned model.
        var heads = ParameterSet()
        for (task, tuned) in zip(names, finetuned) {
            for name in state.names where name.hasPrefix("heads.\(task).") {
                guard let value = tuned[name] else { throw ConfigurationError("task vectors: the fine-tuned model of '\(task)' lacks its head tensor '\(name)'") }
                heads.insert(name, value)
            }
        }
        func evaluate(trunk: ParameterSet) throws -> (validation: [TaskEvaluation], test: [TaskEvaluation]) {
            var weights = ParameterSet()
            for name in state.names {
                weights.insert(name, trunk[name] ?? heads[name] ?? pretrained[name] ?? state[name]!)
            }
            try model.network.load(stateDict: weights)
            let v = model.evaluate(validation), t = model.evaluate(data.test)
            return (names.map { v[$0]! }, names.map { t[$0]! })
        }
        // Baselines: each fine-tuned model on its own task.
        var baselineValidation: [Double] = [], baselineTest: [Double] = [], metricNames: [String] = [], higher: [Bool] = []
        for (t, tuned) in finetuned.enumerated() {
            let scores = try evaluate(trunk: tuned.filter(shared))
            let (v, s) = (scores.validation[t].metrics[0], scores.test[t].metrics[0])
            (baselineValidation, baselineTest) = (baselineValidation + [v.value], baselineTest + [s.value])
            (metricNames, higher) = (metricNames + [v.name], higher + [v.higherIsBetter])
        }
        func normalized(_ value: Double, _ t: Int, _ baseline: [Double]) -> Double {
            higher[t] ? value / baseline[t] : baseline[t] / value
        }
        func point(_ alpha: Double, _ scores: (validation: [TaskEvaluation], test: [TaskEvaluation])) -> Point {
            Point(alpha: alpha,
                  validation: scores.validation.enumerated().map { Score(value: $1.metrics[0].value, normalized: normalized($1.metrics[0].value, $0, baselineValidation)) },
                  test: scores.test.enumerated().map { Score(value: $1.metrics[0].value, normalized: normalized($1.metrics[0].value, $0, baselineTest)) })
        }
        let trunks = finetuned.map { $0.filter(shared) }
        /// θ_pre + α·Σ τ over the given fine-tuned trunks (one: the scaled task vector, exact at α = 1).
        func scaled(_ models: [ParameterSet], _ alpha: Double) throws -> ParameterSet {
            var merge = MergeSettings(method: .taskArithmetic)
            merge.lambda = alpha
            return try ModelMerge.merge(models, base: trunkPre, inputs: models.map { _ in MergeInput(weight: 1) }, settings: merge)
        }
        var sweeps: [[Point]] = []
        for t in names.indices {
            progress("α sweep of \(names[t])'s task vector")
            var sweep: [Point] = []
            for alpha in settings.alphas {
                if shouldStop() { return nil }
                sweep.append(try point(alpha, evaluate(trunk: scaled([trunks[t]], alpha))))
            }
            sweeps.append(sweep)
        }
        progress("task addition")
        let sum = vectors.dropFirst().reduce(vectors[0], +)
        var addition: [Point] = []
        for alpha in settings.alphas {
            if shouldStop() { return nil }
            addition.append(try point(alpha, evaluate(trunk: scaled(trunks, alpha))))
        }
        func best(_ points: [Point]) -> Point {
            points.max { $0.validationMean < $1.validationMean || ($0.validationMean == $1.validationMean && $0.alpha > $1.alpha) }!
        }
        let chosen = best(addition)
        var merges: [Merge] = []
        for method in settings.merges ?? [] {
            progress("\(method.rawValue) merge")
            var merge = MergeSettings(method: method)
            merge.seed = 0
            var points: [Point] = []
            for alpha in settings.alphas {
                if shouldStop() { return nil }
                merge.lambda = alpha
                let inputs = trunks.map { _ in MergeInput(weight: 1, density: settings.density ?? Settings.defaultDensity) }
                points.append(try point(alpha, evaluate(trunk: try ModelMerge.merge(trunks, base: trunkPre, inputs: inputs, settings: merge))))
            }
            let top = best(points)
            merges.append(Merge(method: method, points: points, chosenAlpha: top.alpha, validationMean: top.validationMean, testMean: top.testMean))
        }
        return Result(tasks: names, metrics: metricNames, higherIsBetter: higher, baselineValidation: baselineValidation, baselineTest: baselineTest,
                      norms: vectors.map(\.norm), cosine: TaskVectors.cosineMatrix(tasks: names, vectors: vectors),
                      alignment: vectors.map { TaskVectors.alignmentRatio($0, merged: sum) }, sweeps: sweeps, addition: addition,
                      chosenAlpha: chosen.alpha, merges: settings.merges == nil ? nil : merges, settings: settings)
    }
}
