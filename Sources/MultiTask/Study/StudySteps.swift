import Files
import Foundation
import NN
import Tensors

/// The steps of a study, in the order they run: each reads the networks it needs from the
/// shared cache (training those not there yet) and adds its section to the results.
extension StudyRunner {
    func plan() -> [Step] {
        var steps: [Step] = []
        let s = config.steps
        // Single-task networks are also the ground truth's singles, pairwise's diagonal and Δm%'s reference.
        if s.baselines {
            steps.append(Step(name: "single-task baselines", done: { $0.baselines != nil }) { results, counts in
                guard let networks = try self.networks(self.tasks.map { [$0] }, units: self.units, label: { $0[0] }, counts: &counts) else { return false }
                results.baselines = networks
                return true
            })
        }
        if let methods = s.multitask {
            steps.append(Step(name: "multi-task training (\(methods.joined(separator: ", ")))", done: { $0.multitask != nil }) { results, counts in
                var networks: [StudyResults.Network] = []
                for (k, method) in methods.enumerated() {
                    self.log("multi-task network \(k + 1)/\(methods.count): \(method)")
                    guard var network = try self.network(self.tasks, units: try self.units(method: method), label: method, counts: &counts) else { return false }
                    network.deltaM = self.deltaM(network, results)
                    networks.append(network)
                }
                results.multitask = networks
                return true
            })
        }
        if s.groundTruth {
            steps.append(Step(name: "ground truth (\((1 << tasks.count) - 1) networks)", done: { $0.groundTruth != nil }) { results, counts in
                let sets = GroundTruth.taskSets(count: self.tasks.count).map { $0.map { self.tasks[$0] } }
                var records: [TaskSetRecord] = []
                for (k, set) in sets.enumerated() {
                    let cached = try self.units.cached(set)
                    self.log("ground truth network \(k + 1)/\(sets.count): \(set.joined(separator: "+"))\(cached == nil ? "" : " (cached)")")
                    guard let record = try cached ?? self.units.train(set, onEvent: self.onEvent, shouldStop: self.shouldStop) else { return false }
                    if cached == nil { counts.trained += 1; try self.saveProgress(counts) } else { counts.cached += 1 }
                    records.append(record)
                }
                let truth = GroundTruth(tasks: self.tasks, settingsKey: self.units.settingsKey, networks: records.map(\.result))
                results.groundTruth = StudyResults.GroundTruthSummary(networks: records.count, cpuSeconds: CPUTime.total(records.map(\.cpuSeconds)),
                                                                      seconds: records.reduce(0) { $0 + $1.seconds }, truth: truth)
                return true
            })
        }
        if let affinity = s.affinity {
            steps.append(Step(name: "task affinity (\(affinity.estimators.joined(separator: ", ")))", done: { $0.affinity != nil }) { results, counts in
                guard let matrices = try self.affinity(affinity, counts: &counts) else { return false }
                results.affinity = matrices
                return true
            })
        }
        if let vectors = s.taskVectors {
            steps.append(Step(name: "task vectors", done: { $0.taskVectors != nil }) { results, counts in
                guard let result = try self.taskVectors(vectors, counts: &counts) else { return false }
                results.taskVectors = result
                return true
            })
        }
        if let grouping = s.grouping {
            steps.append(Step(name: "grouping at \(grouping.budgets.map(String.init).joined(separator: ", ")) networks", done: { $0.grouping != nil }) { results, counts in
                guard let section = try self.grouping(grouping, results, counts: &counts) else { return false }
                results.grouping = section
                return true
            })
        }
        if let pruning = s.pruning {
            let count = pruning.methods.count * pruning.sparsities.count
            steps.append(Step(name: "pruning (\(count) network\(count == 1 ? "" : "s"))", done: { $0.pruning != nil }) { results, counts in
                guard let section = try self.pruning(pruning, results, counts: &counts) else { return false }
                (results.pruning, results.pruningDense) = (section.pruned, section.dense)
                return true
            })
        }
        if let sweep = config.sweep {
            let trials = sweep.settings()
            steps.append(Step(name: "\(sweep.search.rawValue) sweep (\(trials.count) trials)", done: { $0.sweep != nil }) { results, counts in
                guard let section = try self.sweep(sweep, trials: trials, results, counts: &counts) else { return false }
                results.sweep = section
                return true
            })
        }
        return steps
    }

    /// The networks of all the tasks with `method` (a weighting or gradient method).
    func units(method: String) throws -> TaskSetTraining {
        var training = try StudyConfig.training(units.training, method: method, tasks: tasks.count)
        training.threads = units.training.threads
        return try TaskSetTraining(data: data, spec: spec, training: training, root: cache, dropUnusedHeads: dropUnusedHeads, subsets: !method.hasPrefix("static"), source: units.source)
    }

    /// One network (trained, resumed or read from the cache), with its curves; nil when stopped.
    func network(_ set: [String], units: TaskSetTraining, label: String, counts: inout (trained: Int, cached: Int)) throws -> StudyResults.Network? {
        do { return try cachedOrTrained(set, units: units, label: label, counts: &counts) } catch RunDirectoryError.corrupt(let path, let reason) {
            throw RunDirectoryError.corrupt(path: path, reason: "\(reason); remove the network's folder \(try units.directory(for: set).path) to train it again")
        }
    }

    private func cachedOrTrained(_ set: [String], units: TaskSetTraining, label: String, counts: inout (trained: Int, cached: Int)) throws -> StudyResults.Network? {
        let cached = try units.cached(set)
        if cached != nil { log("\(label): cached") }
        guard let record = try cached ?? units.train(set, onEvent: onEvent, shouldStop: shouldStop) else { return nil }
        if cached == nil { counts.trained += 1; try saveProgress(counts) } else { counts.cached += 1 }
        let folder = try units.directory(for: set)
        return StudyResults.Network(label: label, tasks: record.result.tasks, validation: record.result.validation, test: record.result.test,
                                    testLoss: record.result.test.totalLoss, bestEpoch: record.result.bestEpoch, deltaM: nil, curves: try curves(folder), seconds: record.seconds,
                                    cpuSeconds: record.cpuSeconds, directory: relative(folder))
    }

    func networks(_ sets: [[String]], units: TaskSetTraining, label: ([String]) -> String, counts: inout (trained: Int, cached: Int)) throws -> [StudyResults.Network]? {
        var out: [StudyResults.Network] = []
        for (k, set) in sets.enumerated() {
            log("network \(k + 1)/\(sets.count): \(set.joined(separator: "+"))")
            guard let network = try network(set, units: units, label: label(set), counts: &counts) else { return nil }
            out.append(network)
        }
        return out
    }

    /// Per-epoch training and validation losses from a network's `metrics.jsonl`.
    func curves(_ folder: URL) throws -> [StudyResults.EpochPoint] {
        let file = folder.appendingPathComponent("metrics.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        let decoder = RunJSON.decoder()
        return try text.split(separator: "\n").map { line in
            let record: EpochRecord
            do { record = try decoder.decode(EpochRecord.self, from: Data(line.utf8)) } catch {
                throw RunDirectoryError.corrupt(path: file.path, reason: "a line is not an epoch record")
            }
            var validation: [String: Double] = [:]
            for task in record.validation?.tasks ?? [] { validation[task.task] = task.loss }
            return StudyResults.EpochPoint(epoch: record.epoch, trainLoss: record.trainLoss, validationLoss: validation)
        }
    }

    func relative(_ url: URL) -> String {
        let base = directory.standardizedFileURL.path + "/", path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// The single-task networks' test results, when the study has them (baselines or ground truth).
    func singles(_ results: StudyResults) -> Evaluation? {
        if let baselines = results.baselines { return Evaluation(tasks: baselines.compactMap { $0.test[$0.tasks[0]] }) }
        if let truth = results.groundTruth?.truth { return Evaluation(tasks: tasks.compactMap { truth.network([$0])?.test[$0] }) }
        return nil
    }

    func deltaM(_ network: StudyResults.Network, _ results: StudyResults) -> DeltaM? {
        singles(results).map { DeltaM(model: network.test, baselines: $0) }
    }

    // MARK: Affinity

    func affinity(_ request: StudyConfig.Affinity, counts: inout (trained: Int, cached: Int)) throws -> [AffinityMatrix]? {
        var matrices: [AffinityMatrix] = []
        let training = request.estimators.filter { AffinityRequest.methodNames.contains($0) }
        let folder = directory.appendingPathComponent("affinity")
        try RunDirectory.makeDirectory(folder)
        if !training.isEmpty {
            var affinity = AffinityRequest()
            (affinity.methods, affinity.every) = (training, request.every)
            let (estimators, _) = try affinity.estimators(tasks: tasks, seed: units.training.seed)
            let run = folder.appendingPathComponent("run")
            let files = training.map { folder.appendingPathComponent("\($0).json") }
            if FileManager.default.fileExists(atPath: run.appendingPathComponent("results.json").path), files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
                matrices += try files.map { try AffinityMatrix.readJSON(from: $0) }  // trained, then stopped before the results were written
                counts.cached += 1
            } else {
                log("training once with the estimators \(training.joined(separator: ", ")) attached")
                let outcome: RunResults
                if FileManager.default.fileExists(atPath: run.appendingPathComponent("config.json").path) {
                    outcome = try Experiment.resume(directory: run, observers: estimators, onEvent: onEvent, shouldStop: shouldStop)
                } else {
                    var runConfig = RunConfig()
                    (runConfig.data, runConfig.model, runConfig.training, runConfig.affinity) = (config.data, config.model, units.training, affinity)
                    outcome = try Experiment.start(runConfig, spec: spec, data: data, directory: run, overwrite: true, dropUnusedHeads: dropUnusedHeads,
                                                   observers: estimators, onEvent: onEvent, shouldStop: shouldStop)
                }
                guard !outcome.summary.resumable else { return nil }
                counts.trained += 1
                try saveProgress(counts)
                let cpu = CPUTime.total(outcome.summary.history.map(\.cpuSeconds))
                for estimator in estimators {
                    var matrix = estimator.matrix()
                    matrix.computeSeconds = cpu.map { $0 + (matrix.computeSeconds ?? 0) }
                    try matrix.writeJSON(to: folder.appendingPathComponent("\(matrix.method).json"))
                    matrices.append(matrix)
                }
            }
        }
        let masks = request.estimators.filter { $0.hasPrefix("snip-") }
        if !masks.isEmpty {
            log("per-task SNIP masks at initialisation (\(request.maskBatches) batches)")
            let model = try MultiTaskModel(spec: units.spec, tasks: data.tasks, seed: units.training.seed)
            let similarity = try MaskSimilarity.estimate(model: model, data: data.train, batches: request.maskBatches, batchSize: units.training.batchSize,
                                                         seed: units.training.seed, keep: 1 - request.maskSparsity)
            for matrix in [similarity.iou, similarity.rank] where masks.contains(matrix.method) {
                try matrix.writeJSON(to: folder.appendingPathComponent("\(matrix.method).json"))
                matrices.append(matrix)
            }
        }
        for method in request.estimators where PairwiseTraining.methods.contains(method) {
            var short = units
            if method == "esa" {
                var training = try PairwiseTraining.earlyStopped(units.training, fraction: request.esaFraction)
                training.threads = units.training.threads
                short = try TaskSetTraining(data: data, spec: spec, training: training, root: cache, dropUnusedHeads: dropUnusedHeads, source: units.source)
            }
            let before = try GroundTruth.taskSets(count: tasks.count).filter { $0.count <= 2 }.filter { try short.cached($0.map { tasks[$0] }) != nil }.count
            guard var matrix = try PairwiseTraining.train(short, method: method, onEvent: onEvent, shouldStop: shouldStop, log: log) else { return nil }
            if method == "esa" { matrix.settings["fraction"] = "\(request.esaFraction)" }
            let total = tasks.count * (tasks.count + 1) / 2
            (counts.trained, counts.cached) = (counts.trained + total - before, counts.cached + before)
            try matrix.writeJSON(to: folder.appendingPathComponent("\(method).json"))
            matrices.append(matrix)
        }
        // In the config's order.
        return request.estimators.compactMap { name in matrices.first { $0.method == name } }
    }

    // MARK: Task vectors

    func taskVectors(_ request: StudyConfig.TaskVectors, counts: inout (trained: Int, cached: Int)) throws -> TaskVectorStudy.Result? {
        var settings = TaskVectorStudy.Settings()
        (settings.alphas, settings.include, settings.merges, settings.density) = (request.alphas, request.include, request.merges, request.density)
        let pretrained: ParameterSet, finetuned: [ParameterSet]
        if request.pretrained == "init" {
            // The single-task networks all start from the same trunk (built first from the seed).
            pretrained = try MultiTaskModel(spec: units.spec, tasks: data.tasks, seed: units.training.seed).network.stateDict()
            var models: [ParameterSet] = []
            for (k, task) in tasks.enumerated() {
                log("single-task network \(k + 1)/\(tasks.count): \(task)")
                guard try network([task], units: units, label: task, counts: &counts) != nil else { return nil }
                models.append(try InitCheckpoint.weights(try units.directory(for: [task]).appendingPathComponent("best.safetensors")))
            }
            finetuned = models
        } else {
            var runConfig = RunConfig()
            (runConfig.data, runConfig.model, runConfig.training, runConfig.initFrom) = (config.data, config.model, units.training, request.pretrained)
            let finetuning = try Finetuning(config: runConfig, keep: .best, balanced: false, root: directory.appendingPathComponent("task-vectors"))
            guard let record = try finetuning.run(tasks.map { [$0] }, onEvent: { _, event in self.onEvent?(event) }, shouldStop: shouldStop) else { return nil }
            counts.trained += record.models.count
            pretrained = try InitCheckpoint.weights(URL(fileURLWithPath: request.pretrained))
            finetuned = try record.models.map { try InitCheckpoint.weights(finetuning.root.appendingPathComponent($0.file)) }
        }
        let study = try TaskVectorStudy(spec: units.spec, tasks: data.tasks, pretrained: pretrained, finetuned: finetuned, settings: settings)
        return try study.run(data, progress: { self.log("task vectors: \($0)") }, shouldStop: shouldStop)
    }

    // MARK: Grouping

    func grouping(_ request: StudyConfig.Grouping, _ results: StudyResults, counts: inout (trained: Int, cached: Int)) throws -> StudyResults.Grouping? {
        var estimators = (results.affinity ?? []).map { (name: $0.method, matrix: $0) }
        if let vectors = results.taskVectors { estimators.append((name: "task-vectors", matrix: vectors.cosine)) }
        let budgets = request.budgets
        if let truth = results.groundTruth {
            let evaluation = try GroupingEvaluation.evaluate(truth.truth, estimators: estimators, maxGroups: budgets, randomSamples: request.randomSamples,
                                                             seed: units.training.seed, groundTruthSeconds: truth.cpuSeconds)
            var choices: [StudyResults.Choice] = []
            for budget in evaluation.budgets {
                for row in budget.rows where estimators.contains(where: { $0.name == row.name }) || row.name == "optimum" {
                    let scored = GroupingScore(networks: truth.truth.networks, singles: singles(results), tasks: tasks).score(row.groups)
                    choices.append(StudyResults.Choice(estimator: row.name, maxGroups: budget.maxGroups, groups: row.groups,
                                                       validationLoss: scored?.validation, testLoss: row.testLoss, deltaM: row.deltaM))
                }
            }
            return StudyResults.Grouping(evaluation: evaluation, choices: choices)
        }
        var choices: [StudyResults.Choice] = []
        for budget in budgets {
            for (name, matrix) in estimators {
                choices.append(StudyResults.Choice(estimator: name, maxGroups: budget, groups: try GroupingEvaluation.choose(matrix, maxGroups: budget, order: tasks)))
            }
        }
        guard request.verify else { return StudyResults.Grouping(evaluation: nil, choices: choices) }
        // Train every chosen group's network, and the singles for Δm%.
        var sets = tasks.map { [$0] }
        for choice in choices { for group in choice.groups where !sets.contains(group) { sets.append(group) } }
        var trained: [TaskSetResult] = []
        for (k, set) in sets.enumerated() {
            log("verifying: network \(k + 1)/\(sets.count): \(set.joined(separator: "+"))")
            guard let network = try network(set, units: units, label: set.joined(separator: "+"), counts: &counts) else { return nil }
            trained.append(TaskSetResult(tasks: network.tasks, validation: network.validation, test: network.test, bestEpoch: network.bestEpoch, epochs: 0, steps: 0))
        }
        let score = GroupingScore(networks: trained, singles: Evaluation(tasks: tasks.map { task in trained.first { $0.tasks == [task] }!.test[task]! }), tasks: tasks)
        for k in choices.indices {
            let scored = score.score(choices[k].groups)
            (choices[k].validationLoss, choices[k].testLoss, choices[k].deltaM) = (scored?.validation, scored?.test, scored?.deltaM)
        }
        return StudyResults.Grouping(evaluation: nil, choices: choices)
    }

    // MARK: Pruning

    func pruning(_ request: StudyConfig.Pruning, _ results: StudyResults, counts: inout (trained: Int, cached: Int)) throws -> (pruned: [StudyResults.Pruned], dense: StudyResults.Network)? {
        // The dense network of all the tasks: the reference, and what disparse-pt prunes.
        log("the dense network of all the tasks")
        guard var dense = try network(tasks, units: units, label: "dense", counts: &counts) else { return nil }
        dense.deltaM = deltaM(dense, results)
        let denseWeights = try units.directory(for: tasks).appendingPathComponent("best.safetensors")
        var out: [StudyResults.Pruned] = []
        for method in request.methods {
            for sparsity in request.sparsities {
                let label = "\(method.rawValue) \(Self.percent(sparsity))"
                let folder = directory.appendingPathComponent("pruning").appendingPathComponent("\(method.rawValue)-\(Self.percent(sparsity).dropLast())")
                log("pruned network: \(label)")
                var prune = PruningRequest(method: method, sparsity: sparsity)
                prune.batches = request.batches
                let outcome: RunResults
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("results.json").path) {
                    outcome = try RunResults.read(run: folder)
                    counts.cached += 1
                } else {
                    if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
                        outcome = try Experiment.resume(directory: folder, onEvent: onEvent, shouldStop: shouldStop)
                    } else {
                        var runConfig = RunConfig()
                        (runConfig.data, runConfig.model, runConfig.training) = (config.data, config.model, units.training)
                        if method == .disparsePT { runConfig.initFrom = denseWeights.path }
                        outcome = try Experiment.start(runConfig, spec: spec, data: data, directory: folder, overwrite: true, dropUnusedHeads: dropUnusedHeads,
                                                       onEvent: onEvent, shouldStop: shouldStop) { model in
                            try PruningMasks.prune(prune, model: model, data: self.data.train, batchSize: self.units.training.batchSize, seed: self.units.training.seed)
                        }
                    }
                    guard !outcome.summary.resumable else { return nil }
                    counts.trained += 1
                    try saveProgress(counts)
                }
                let saved = try RunDirectory.reading(folder).readConfig()
                let history = outcome.summary.history
                let best = outcome.bestEpoch.flatMap { epoch in history.first { $0.epoch == epoch }?.validation } ?? history.last?.validation
                var network = StudyResults.Network(label: label, tasks: tasks, validation: best ?? Evaluation(tasks: []), test: outcome.test,
                                                   testLoss: outcome.test.totalLoss, bestEpoch: outcome.bestEpoch, deltaM: nil, curves: try curves(folder),
                                                   seconds: history.reduce(0) { $0 + $1.seconds }, cpuSeconds: CPUTime.total(history.map(\.cpuSeconds)),
                                                   directory: relative(folder))
                network.deltaM = deltaM(network, results)
                out.append(StudyResults.Pruned(method: method.rawValue, sparsity: sparsity, trunkSparsity: saved.pruning?.trunkSparsity ?? .nan, network: network,
                                               deltaMDense: DeltaM(model: outcome.test, baselines: dense.test).improvement))
            }
        }
        return (out, dense)
    }

    /// 0.9 → "90%", 0.995 → "99.5%", 0.999999 → "99.9999%" (never rounded up to 100%).
    static func percent(_ fraction: Double) -> String {
        String(format: "%.6g%%", fraction * 100)
    }

    // MARK: Sweep

    func sweep(_ sweep: StudyConfig.Sweep, trials: [[String: String]], _ results: StudyResults, counts: inout (trained: Int, cached: Int)) throws -> StudyResults.Sweep? {
        var scored: [(settings: [String: String], score: Double, network: StudyResults.Network)] = []
        var failed: [StudyResults.FailedTrial] = []
        // The direction is the metric's, known by name even when no trial survives to report it.
        var higher = Metrics.higherIsBetter[String(sweep.select.split(separator: ".").last ?? "loss")] ?? false
        for (k, trial) in trials.enumerated() {
            let label = StudyConfig.Sweep.describe(trial)
            log("sweep trial \(k + 1)/\(trials.count): \(label)")
            var training = try StudyConfig.Sweep.apply(trial, to: units.training, checkTasks: tasks.count)
            training.threads = units.training.threads
            let trialUnits = try TaskSetTraining(data: data, spec: spec, training: training, root: cache, dropUnusedHeads: dropUnusedHeads,
                                                 subsets: !training.weighting.hasPrefix("static"), source: units.source)
            let trained: StudyResults.Network?
            do { trained = try network(tasks, units: trialUnits, label: label, counts: &counts) } catch let error as TrainingError {
                // A trial that diverges is a result of the sweep, not the end of the study.
                log("sweep trial \(k + 1) failed: \(error)")
                failed.append(StudyResults.FailedTrial(settings: trial, reason: "\(error)"))
                continue
            }
            guard var network = trained else { return nil }
            network.deltaM = deltaM(network, results)
            let score: Double
            if sweep.select == "loss" {
                score = network.validation.totalLoss
            } else {
                let parts = sweep.select.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2, let metric = network.validation[parts[0]]?.metric(parts[1]) else {
                    throw ConfigurationError("sweep.select: '\(sweep.select)' is not 'loss' or TASK.METRIC of a task (\(tasks.joined(separator: ", ")))")
                }
                (score, higher) = (metric.value, metric.higherIsBetter)
            }
            scored.append((trial, score, network))
        }
        let order = scored.indices.sorted { a, b in
            let (x, y) = (scored[a].score, scored[b].score)
            return x == y ? a < b : (higher ? x > y : x < y)
        }
        let ranked = order.enumerated().map { rank, k in
            StudyResults.Trial(rank: rank + 1, settings: scored[k].settings, validationScore: scored[k].score, network: scored[k].network)
        }
        return StudyResults.Sweep(search: sweep.search.rawValue, select: sweep.select, higherIsBetter: higher, trials: ranked, failed: failed.isEmpty ? nil : failed)
    }

    // MARK: Recommendation

    /// Per budget: the ground truth's optimum when the study has it; else the verified choice
    /// best on validation; else the first estimator's choice, marked as not verified.
    func recommend(_ results: StudyResults) -> [StudyResults.Recommendation]? {
        guard let grouping = results.grouping else { return nil }
        return (config.steps.grouping?.budgets ?? []).compactMap { k in
            let choices = grouping.choices.filter { $0.maxGroups == k }
            if let optimum = choices.first(where: { $0.estimator == "optimum" }) {
                return StudyResults.Recommendation(maxGroups: k, groups: optimum.groups, source: "the ground truth's optimum (every task set trained; chosen on validation)",
                                                   testLoss: optimum.testLoss, deltaM: optimum.deltaM)
            }
            if let best = choices.filter({ $0.validationLoss != nil }).min(by: { $0.validationLoss! < $1.validationLoss! }) {
                let tied = choices.filter { $0.validationLoss == best.validationLoss }.map(\.estimator)
                return StudyResults.Recommendation(maxGroups: k, groups: best.groups,
                                                   source: (tied.count > 1 ? "the choice of \(tied.joined(separator: ", ")) (the same groups)" : "\(best.estimator)'s choice")
                                                       + ", trained and best on validation of \(choices.count) estimators",
                                                   testLoss: best.testLoss, deltaM: best.deltaM)
            }
            guard let first = choices.first else { return nil }
            let canonical = { (groups: [[String]]) in Set(groups.map { Set($0) }) }
            let agree = choices.allSatisfy { canonical($0.groups) == canonical(first.groups) }
            let source = agree && choices.count > 1 ? "every estimator's choice (they agree; not trained)"
                : "\(first.estimator)'s estimate, the first estimator listed (not trained: set steps.grouping.verify to train every estimator's groups and keep the best on validation)"
            return StudyResults.Recommendation(maxGroups: k, groups: first.groups, source: source, testLoss: nil, deltaM: nil)
        }
    }
}
