import Foundation

/// Everything a study measured: what `results.json` holds and the report is drawn from. Each
/// step's section is present once the step has finished (a resumed study skips it).
public struct StudyResults: Sendable, Codable, Equatable {
    public var format = 1
    public var name: String
    public var description: String?
    /// The mtk version and the study file exactly as run.
    public var version: String
    public var configYAML: String
    public var tasks: [TaskInfo]
    /// Wall-clock and CPU seconds per finished step, in run order.
    public var timings: [Timing] = []
    public var baselines: [Network]?
    public var multitask: [Network]?
    public var affinity: [AffinityMatrix]?
    public var groundTruth: GroundTruthSummary?
    public var grouping: Grouping?
    public var taskVectors: TaskVectorStudy.Result?
    public var sweep: Sweep?
    public var pruning: [Pruned]?
    /// The dense network of all the tasks the pruned ones are compared with.
    public var pruningDense: Network?
    /// The grouping to train, per budget, and why (the last thing the study prints).
    public var recommendations: [Recommendation]?
    public var complete = false

    public init(name: String, description: String?, version: String, configYAML: String, tasks: [TaskInfo]) {
        (self.name, self.description, self.version, self.configYAML, self.tasks) = (name, description, version, configYAML, tasks)
    }

    public struct TaskInfo: Sendable, Codable, Equatable {
        public var name: String
        /// binary, multiclass(N), regression ...
        public var kind: String
    }

    public struct Timing: Sendable, Codable, Equatable {
        public var step: String
        public var seconds: Double
        public var cpuSeconds: Double?
        /// Networks trained by the step (0 when all came from the cache).
        public var trained: Int
        public var cached: Int
    }

    /// One trained network: its label (a method, a task, a sweep trial), tasks, results and
    /// per-epoch curves (training loss and validation loss per task).
    public struct Network: Sendable, Codable, Equatable {
        public var label: String
        public var tasks: [String]
        public var validation: Evaluation
        public var test: Evaluation
        /// The sum of the test losses over the network's tasks (`test.totalLoss`), stored so that
        /// results.json holds the summed loss the report shows (nil: not recorded).
        public var testLoss: Double?
        public var bestEpoch: Int?
        /// Against the single-task networks, when the study trained them (multi-task networks).
        public var deltaM: DeltaM?
        public var curves: [EpochPoint]
        public var seconds: Double
        public var cpuSeconds: Double?
        /// The network's folder, relative to the run directory (checkpoints, metrics.jsonl).
        public var directory: String
    }

    public struct EpochPoint: Sendable, Codable, Equatable {
        public var epoch: Int
        public var trainLoss: [String: Double]
        public var validationLoss: [String: Double]
    }

    public struct GroundTruthSummary: Sendable, Codable, Equatable {
        public var networks: Int
        public var cpuSeconds: Double?
        public var seconds: Double
        /// Per task set ("a+b"), each member's validation and test loss.
        public var truth: GroundTruth
    }

    public struct Grouping: Sendable, Codable, Equatable {
        /// Scored on the ground truth (`GroupingEvaluation`), when the study has it.
        public var evaluation: GroupingEvaluation?
        /// Each estimator's choice per budget (and, when verified, its scores).
        public var choices: [Choice]
    }

    public struct Choice: Sendable, Codable, Equatable {
        public var estimator: String
        public var maxGroups: Int
        public var groups: [[String]]
        /// The groups' networks trained (`verify`) or read from the ground truth: the summed
        /// validation and test loss of each task served by its best chosen network, and Δm%.
        public var validationLoss: Double?
        public var testLoss: Double?
        public var deltaM: Double?
    }

    public struct Sweep: Sendable, Codable, Equatable {
        public var search: String
        /// `loss` or `TASK.METRIC` on validation.
        public var select: String
        public var higherIsBetter: Bool
        public var trials: [Trial]
        /// Trials whose training failed (a loss that became NaN or infinite), not ranked.
        public var failed: [FailedTrial]?
    }

    public struct FailedTrial: Sendable, Codable, Equatable {
        public var settings: [String: String]
        public var reason: String
    }

    public struct Trial: Sendable, Codable, Equatable {
        /// Rank on validation, 1 = best.
        public var rank: Int
        public var settings: [String: String]
        public var validationScore: Double
        public var network: Network
    }

    /// A pruned network of all the tasks, trained with its masks.
    public struct Pruned: Sendable, Codable, Equatable {
        public var method: String
        /// Asked, and reached (the calibrated keep ratio lands within 0.1%).
        public var sparsity: Double
        public var trunkSparsity: Double
        public var network: Network
        /// Against the dense network of all the tasks (the multi-task step's `equal`, or the
        /// ground truth's), when the study has it.
        public var deltaMDense: Double?
    }

    public struct Recommendation: Sendable, Codable, Equatable {
        public var maxGroups: Int
        public var groups: [[String]]
        /// Where it comes from: the ground-truth optimum, a verified or an unverified estimate.
        public var source: String
        public var testLoss: Double?
        public var deltaM: Double?
    }
}
