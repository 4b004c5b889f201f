import Foundation
@testable import MultiTask

/// A small but complete study's results for the report tests: three tasks (one regression),
/// baselines, two multi-task methods, two affinity matrices (one of losses, one with a NaN), a
/// ground truth of all seven task sets scored by `GroupingEvaluation`, task vectors, a sweep and
/// timings. Names carry no digits, so any digit the page shows outside a number span stands out.
enum StudyFixture {
    static let tasks = ["segment", "edges", "depth"]
    static let single: [String: Double] = ["segment": 0.9, "edges": 0.4, "depth": 0.6]
    /// gain[u][t]: the relative change of t's loss when trained with u (negative helps).
    static let gain: [String: [String: Double]] = [
        "segment": ["edges": -0.10, "depth": 0.08], "edges": ["segment": 0.05, "depth": -0.06], "depth": ["segment": -0.03, "edges": 0.02],
    ]

    static func metrics(_ task: String, _ loss: Double) -> [Metric] {
        task == "depth"
            ? [Metric(name: "mae", value: loss * 0.7, higherIsBetter: false), Metric(name: "rmse", value: loss * 0.9 + 0.01, higherIsBetter: false)]
            : [Metric(name: "accuracy", value: 1 - loss / 3, higherIsBetter: true), Metric(name: task == "edges" ? "auroc" : "macro_f1", value: 1 - loss / 4, higherIsBetter: true)]
    }

    /// Each member's evaluation in the network trained on `set`, losses scaled by `scale`.
    static func evaluation(_ set: [String], scale: Double = 1) -> Evaluation {
        Evaluation(tasks: set.map { t in
            let loss = single[t]! * (1 + set.filter { $0 != t }.reduce(0) { $0 + gain[$1]![t]! }) * scale
            return TaskEvaluation(task: t, loss: loss, metrics: metrics(t, loss), labelled: 120)
        })
    }

    static func curves(_ set: [String], scale: Double) -> [StudyResults.EpochPoint] {
        (1...4).map { epoch in
            let decay = 1 + 1 / Double(epoch)
            return StudyResults.EpochPoint(epoch: epoch, trainLoss: Dictionary(uniqueKeysWithValues: set.map { ($0, single[$0]! * decay * scale * 0.9) }),
                                           validationLoss: Dictionary(uniqueKeysWithValues: set.map { ($0, single[$0]! * decay * scale) }))
        }
    }

    static func network(_ label: String, _ set: [String], scale: Double, baselines: Evaluation?) -> StudyResults.Network {
        let test = evaluation(set, scale: scale * 1.03)
        return StudyResults.Network(label: label, tasks: set, validation: evaluation(set, scale: scale), test: test, testLoss: test.totalLoss, bestEpoch: 3,
                                    deltaM: baselines.map { DeltaM(model: test, baselines: $0) }, curves: curves(set, scale: scale),
                                    seconds: 12.345 * scale, cpuSeconds: 40.25 * scale, directory: "networks/\(label)")
    }

    static func truth() -> GroundTruth {
        let networks = GroundTruth.taskSets(count: tasks.count).map { indices -> TaskSetResult in
            let set = indices.map { tasks[$0] }
            return TaskSetResult(tasks: set, validation: evaluation(set), test: evaluation(set, scale: 1.02), bestEpoch: 2, epochs: 3, steps: 30)
        }
        return GroundTruth(tasks: tasks, settingsKey: "key", networks: networks)
    }

    static func results() throws -> StudyResults {
        var r = StudyResults(name: "Study of segment & edges", description: "Which of three <vision> tasks to train together.", version: "mtk 0.4.0 (abc1234)",
                             configYAML: "name: study\ntasks: [segment, edges, depth]\nnote: \"a < b && c > d\"\n",
                             tasks: [.init(name: "segment", kind: "multiclass(3)"), .init(name: "edges", kind: "binary"), .init(name: "depth", kind: "regression")])
        let truth = Self.truth()
        let baselines = tasks.map { network($0, [$0], scale: 1, baselines: nil) }
        let reference = Evaluation(tasks: baselines.map { $0.test.tasks[0] })
        r.baselines = baselines
        r.multitask = [network("equal", tasks, scale: 0.97, baselines: reference), network("famo", tasks, scale: 1.04, baselines: reference)]
        // tag: own task order (reordered by the report), a NaN diagonal; pairwise: losses, the other orientation.
        let tag = AffinityMatrix(tasks: ["depth", "segment", "edges"], values: [[.nan, 0.031, -0.02], [0.0125, .nan, 0.044], [0.06, -0.015, .nan]],
                                 method: "tag", settings: ["every": "10"], steps: [0, 10, 20], seconds: 3.25, computeSeconds: 55.5)
        let pairwise = AffinityMatrix(tasks: tasks, values: tasks.map { a in tasks.map { b in truth.network(a == b ? [a] : [a, b])!.validation[a]!.loss } },
                                      method: "pairwise", seconds: 0, orientation: .targetFromSource, lowerIsBetter: true, computeSeconds: 80)
        r.affinity = [tag, pairwise]
        r.groundTruth = .init(networks: 7, cpuSeconds: 210.5, seconds: 95.25, truth: truth)
        let evaluation = try GroupingEvaluation.evaluate(truth, estimators: [("tag", tag), ("pairwise", pairwise)], maxGroups: [1, 2, 3],
                                                         randomSamples: 25, seed: 7, groundTruthSeconds: 210.5)
        r.grouping = .init(evaluation: evaluation, choices: [.init(estimator: "tag", maxGroups: 2, groups: [["segment", "edges"], ["depth"]], validationLoss: 1.81, testLoss: 1.86, deltaM: 1.5),
                                                              .init(estimator: "pairwise", maxGroups: 2, groups: [["segment"], ["edges", "depth"]])])
        let alphas = [0.0, 0.5, 1.0, 1.5]
        func point(_ alpha: Double, _ t: Int?) -> TaskVectorStudy.Point {
            let scores = tasks.indices.map { k in
                let normalized = 0.6 + alpha * (k == t ? 0.3 : t == nil ? 0.2 : 0.05 * Double(k - 1)) - (alpha > 1 ? 0.1 * alpha : 0)
                return TaskVectorStudy.Score(value: normalized * 0.8, normalized: normalized)
            }
            return TaskVectorStudy.Point(alpha: alpha, validation: scores, test: scores.map { .init(value: $0.value * 0.99, normalized: $0.normalized * 0.99) })
        }
        r.taskVectors = TaskVectorStudy.Result(tasks: tasks, metrics: ["accuracy", "accuracy", "mae"], higherIsBetter: [true, true, false],
                                               baselineValidation: [0.71, 0.88, 0.42], baselineTest: [0.7, 0.87, 0.43], norms: [12.5, 8.25, 10.125],
                                               cosine: AffinityMatrix(tasks: tasks, values: [[1, 0.12, -0.05], [0.12, 1, 0.3], [-0.05, 0.3, 1]], method: "cosine"),
                                               alignment: [0.61, 0.72, 0.58], sweeps: tasks.indices.map { t in alphas.map { point($0, t) } },
                                               addition: alphas.map { point($0, nil) }, chosenAlpha: 1.0,
                                               merges: [.init(method: .ties, points: alphas.map { point($0, 1) }, chosenAlpha: 0.5, validationMean: 0.8125, testMean: 0.80375)],
                                               settings: .init())
        r.sweep = .init(search: "grid", select: "loss", higherIsBetter: false, trials: [
            .init(rank: 2, settings: ["lr": "0.01", "batch": "64"], validationScore: 1.95, network: network("trial two", tasks, scale: 1.01, baselines: reference)),
            .init(rank: 1, settings: ["lr": "0.003", "batch": "64"], validationScore: 1.9, network: network("trial one", tasks, scale: 0.99, baselines: reference)),
        ], failed: [.init(settings: ["lr": "10", "batch": "64"], reason: "the loss of task 'depth' became inf at epoch 1, step 3")])
        r.pruning = [.init(method: "snip", sparsity: 0.5, trunkSparsity: 0.4995, network: network("snip", tasks, scale: 1.02, baselines: reference), deltaMDense: -0.75),
                     .init(method: "disparse-static", sparsity: 0.9, trunkSparsity: 0.9004, network: network("disparse", tasks, scale: 1.05, baselines: reference), deltaMDense: -1.25)]
        r.pruningDense = network("dense", tasks, scale: 1.0, baselines: reference)
        r.timings = [.init(step: "baselines", seconds: 37.04, cpuSeconds: 120.75, trained: 3, cached: 0),
                     .init(step: "multitask", seconds: 25.5, cpuSeconds: nil, trained: 1, cached: 1),
                     .init(step: "ground truth", seconds: 95.25, cpuSeconds: 210.5, trained: 7, cached: 0)]
        r.recommendations = [.init(maxGroups: 1, groups: [tasks], source: "ground-truth optimum", testLoss: 1.9, deltaM: -0.5),
                             .init(maxGroups: 2, groups: [["segment", "edges"], ["depth"]], source: "ground-truth optimum", testLoss: 1.8, deltaM: 2.25)]
        r.complete = true
        return r
    }
}
