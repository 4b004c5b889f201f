import Foundation
import NN
import Yams

/// A whole study from one YAML file: the data and tasks, the model, the training settings, the
/// steps to run and an optional hyper-parameter sweep (see README, "Studies"). Parsing checks
/// every key and type; `StudyRunner.prepare` checks the rest (tasks, budgets, methods) against
/// the loaded data before any training. Errors name the file, the line and the key.
public struct StudyConfig: Sendable, Equatable, Codable {
    public var name: String
    public var description: String?
    public var data: DataSource
    public var model: String
    public var training: TrainingConfig
    /// Where trained networks are cached (default: the run's `networks/`); studies that share a
    /// cache share every network they have in common.
    public var cache: String?
    public var steps: Steps
    public var sweep: Sweep?

    public struct Steps: Sendable, Equatable, Codable {
        /// One single-task network per task: per-task baselines and Δm%.
        public var baselines = false
        /// Multi-task networks of all the tasks, one per loss-weighting or gradient method.
        public var multitask: [String]?
        public var affinity: Affinity?
        /// Every non-empty task set trained (2ⁿ − 1 networks): the exact grouping answer.
        public var groundTruth = false
        public var grouping: Grouping?
        public var taskVectors: TaskVectors?
        public var pruning: Pruning?
    }

    /// Pruned networks of all the tasks, trained with their masks: each method at each sparsity.
    public struct Pruning: Sendable, Equatable, Codable {
        public var methods: [PruningRequest.Method]
        /// Fractions of the trunk's prunable weights removed.
        public var sparsities: [Double]
        public var batches = 50
    }

    public struct Affinity: Sendable, Equatable, Codable {
        /// tag, first-order, cosine, fisher (one training run), pairwise, esa (networks),
        /// snip-iou, snip-rank (per-task SNIP masks at initialisation).
        public var estimators: [String]
        public var every: Int?
        public var esaFraction = 0.2
        /// snip-iou and snip-rank: each task's SNIP mask removes this fraction of its pool.
        public var maskSparsity = 0.9
        public var maskBatches = 50
    }

    public struct Grouping: Sendable, Equatable, Codable {
        /// Each a maximum number of networks.
        public var budgets: [Int]
        /// Train each chosen grouping's networks (free where the ground truth has them).
        public var verify = false
        public var randomSamples = 1000
    }

    public struct TaskVectors: Sendable, Equatable, Codable {
        /// `init`: the networks' common initialisation (the single-task networks are the
        /// fine-tuned models); else a checkpoint each task is fine-tuned from.
        public var pretrained = "init"
        public var alphas: [Double] = (0...6).map { Double($0) / 4 }
        public var include = ["trunk.*"]
        /// Merge methods compared with task addition (ties, dare_linear, dare_ties, task_arithmetic).
        public var merges: [MergeMethod]?
        public var density: Double?
    }

    /// Hyper-parameters varied on a grid or by seeded random search, each trial a network of
    /// all the tasks ranked on validation.
    public struct Sweep: Sendable, Equatable, Codable {
        public enum Search: String, Sendable, Codable { case grid, random }
        public var search = Search.grid
        public var trials: Int?
        public var seed: UInt64 = 0
        /// `loss` (the summed validation loss) or `TASK.METRIC`.
        public var select = "loss"
        public var parameters: [Parameter]
    }

    /// One varied setting: a list of values, or (random search) a range.
    public struct Parameter: Sendable, Equatable, Codable {
        public var name: String
        public var values: [String]?
        public var range: ClosedRange<Double>?
        public var logScale = false
    }

    public static let sweepable = ["lr", "batch_size", "optimizer", "weighting", "loss_weights", "gradient_method", "weight_decay", "momentum", "epochs", "seed"]
    static let topKeys = ["name", "description", "data", "model", "training", "cache", "steps", "sweep"]
    static let dataKeys = ["suite", "csv", "test_csv", "data_directory", "tasks", "validation_fraction", "seed", "train_examples", "normalize_features"]
    static let trainingKeys = ["epochs", "batch_size", "optimizer", "lr", "momentum", "nesterov", "weight_decay", "schedule", "weighting",
                               "gradient_method", "clip", "seed", "threads", "patience", "selection", "shuffle"]
    static let stepKeys = ["baselines", "multitask", "affinity", "ground_truth", "grouping", "task_vectors", "pruning"]

    /// Parses `yaml`; `source` (the file) names it in errors; relative paths are taken against
    /// `base` (the file's folder).
    public static func parse(yaml: String, source: String = "study config", base: URL? = nil) throws -> StudyConfig {
        try parseLocated(yaml: yaml, source: source, base: base).config
    }

    /// `parse`, with the line of every key (`steps.grouping.budgets` → 27), for errors found later.
    static func parseLocated(yaml: String, source: String, base: URL?) throws -> (config: StudyConfig, lines: [String: Int]) {
        let r = YAMLFields(source: source)
        return (try parse(r, yaml: yaml, base: base), r.lines)
    }

    private static func parse(_ r: YAMLFields, yaml: String, base: URL?) throws -> StudyConfig {
        let root = try r.root(yaml, what: "name, data, model, training and steps")
        let top = try r.mapping(root, "", allowed: topKeys)
        func path(_ text: String) -> String {
            guard let base, !text.hasPrefix("/") else { return text }
            return base.appendingPathComponent(text).standardizedFileURL.path
        }
        guard let nameNode = top["name"] else { throw r.error("name", root, "missing: the study's name (its results go to runs/NAME)") }
        let name = try r.string(nameNode, "name")
        guard name.count <= 100, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), !name.hasPrefix(".") else {
            throw r.error("name", nameNode, "'\(name)' must be at most 100 letters, digits, '-', '_' or '.', not starting with '.' (it names the run's folder)")
        }
        var config = StudyConfig(name: name, data: DataSource(), model: "reference-cnn", training: TrainingConfig(), steps: Steps())
        config.description = try top["description"].map { try r.string($0, "description") }
        guard let dataNode = top["data"] else { throw r.error("data", root, "missing: a suite or a CSV file, and the tasks") }
        let data = try r.mapping(dataNode, "data", allowed: dataKeys)
        config.data.suite = try data["suite"].map { try r.string($0, "data.suite") }
        config.data.csv = try data["csv"].map { path(try r.string($0, "data.csv")) }
        config.data.testCSV = try data["test_csv"].map { path(try r.string($0, "data.test_csv")) }
        config.data.dataDirectory = try data["data_directory"].map { path(try r.string($0, "data.data_directory")) }
        config.data.tasks = try data["tasks"].map { try r.strings($0, "data.tasks") }
        if let node = data["validation_fraction"] { config.data.validationFraction = try r.number(node, "data.validation_fraction", 0.0...0.99, what: "a fraction in (0, 1): networks are compared on validation") }
        if let node = data["seed"] { config.data.seed = try r.seed(node, "data.seed") }
        if let node = data["normalize_features"] { config.data.normalizeFeatures = try r.bool(node, "data.normalize_features") }
        config.data.trainExamples = try data["train_examples"].map { try r.integer($0, "data.train_examples", 10...100_000_000) }
        do { try config.data.validate() } catch let error as ConfigurationError { throw r.error("data", dataNode, error.message) }
        if config.data.validationFraction == 0 { throw r.error("data.validation_fraction", data["validation_fraction"], "must be above 0: a study selects models and compares networks on validation") }
        if let node = top["model"] {
            let model = try r.string(node, "model")
            config.model = (ModelSpec.builtIn[model] != nil) ? model : path(model)
            if !(ModelSpec.builtIn[model] != nil) && !FileManager.default.fileExists(atPath: config.model) {
                throw r.error("model", node, "'\(model)' is neither a built-in model (\(ModelSpec.builtIn.keys.sorted().joined(separator: ", "))) nor a spec file (\(config.model) does not exist)")
            }
        }
        if let node = top["training"] { config.training = try parseTraining(node, r) }
        config.cache = try top["cache"].map { path(try r.string($0, "cache")) }
        guard let stepsNode = top["steps"] else { throw r.error("steps", root, "missing: which steps to run (\(stepKeys.joined(separator: ", ")))") }
        config.steps = try parseSteps(stepsNode, r, path: path)
        if let node = top["sweep"] { config.sweep = try parseSweep(node, r) }
        if !config.steps.runsAnything && config.sweep == nil { throw r.error("steps", stepsNode, "no step is enabled and there is no sweep: nothing to run") }
        return config
    }

    static func parseTraining(_ node: Node, _ r: YAMLFields) throws -> TrainingConfig {
        let t = try r.mapping(node, "training", allowed: trainingKeys)
        var training = TrainingConfig()
        func key(_ k: String) -> String { "training.\(k)" }
        if let n = t["epochs"] { training.epochs = try r.integer(n, key("epochs"), 1...100_000) }
        if let n = t["batch_size"] { training.batchSize = try r.integer(n, key("batch_size"), 1...1_000_000) }
        if let n = t["optimizer"] { training.optimizer.kind = try r.string(n, key("optimizer")) }
        if let n = t["lr"] { training.optimizer.learningRate = try r.float(n, key("lr"), Double.leastNonzeroMagnitude...1e6, what: "a positive learning rate") }
        if let n = t["momentum"] { training.optimizer.momentum = try r.float(n, key("momentum"), 0...1, what: "a momentum in [0, 1]") }
        if let n = t["nesterov"] { training.optimizer.nesterov = try r.bool(n, key("nesterov")) }
        if let n = t["weight_decay"] { training.optimizer.weightDecay = try r.float(n, key("weight_decay"), 0...1e6, what: "a weight decay ≥ 0") }
        if let n = t["schedule"] { training.schedule.kind = try r.string(n, key("schedule")) }
        if let n = t["weighting"] { training.weighting = canonicalWeighting(try r.string(n, key("weighting"))) }
        if let n = t["gradient_method"] { training.gradientMethod = try r.string(n, key("gradient_method")) }
        if let n = t["clip"] { training.gradientClip = try r.float(n, key("clip"), Double.leastNonzeroMagnitude...1e12, what: "a positive gradient norm") }
        if let n = t["seed"] { training.seed = try r.seed(n, key("seed")) }
        if let n = t["threads"] { training.threads = try r.integer(n, key("threads"), 1...1024) }
        if let n = t["patience"] { training.patience = try r.integer(n, key("patience"), 1...100_000) }
        if let n = t["selection"] { training.selection = try r.string(n, key("selection")) }
        if let n = t["shuffle"] { training.shuffle = try r.bool(n, key("shuffle")) }
        do { try training.validate() } catch let error as ConfigurationError { throw r.error("training", node, error.message) }
        return training
    }

    static func parseSteps(_ node: Node, _ r: YAMLFields, path: (String) -> String) throws -> Steps {
        let s = try r.mapping(node, "steps", allowed: stepKeys)
        var steps = Steps()
        if let n = s["baselines"] { steps.baselines = try r.bool(n, "steps.baselines") }
        if let n = s["ground_truth"] { steps.groundTruth = try r.bool(n, "steps.ground_truth") }
        if let n = s["multitask"] {
            let methods = try r.strings(n, "steps.multitask")
            guard !methods.isEmpty else { throw r.error("steps.multitask", n, "expected at least one method (equal, uw, dwa, rlw, famo, pcgrad, mgda, ...)") }
            var seen: [TrainingConfig] = []
            for (k, (label, item)) in r.list(n, "steps.multitask").enumerated() {
                if methods[..<k].contains(methods[k]) { throw r.error(label, item, "'\(methods[k])' is listed twice") }
                let training: TrainingConfig
                do { training = try StudyConfig.training(TrainingConfig(), method: methods[k]) } catch let error as ConfigurationError { throw r.error(label, item, error.message) }
                // Two spellings of one method (cagrad and cagrad:0.4) would train the same network twice.
                if let first = seen.firstIndex(of: training) { throw r.error(label, item, "'\(methods[k])' is '\(methods[first])' again (the same method and settings)") }
                seen.append(training)
            }
            steps.multitask = methods
        }
        if let n = s["affinity"] {
            let a = try r.mapping(n, "steps.affinity", allowed: ["estimators", "every", "esa_fraction", "mask_sparsity", "mask_batches"])
            guard let e = a["estimators"] else { throw r.error("steps.affinity.estimators", n, "missing: which estimators (\(affinityEstimators.joined(separator: ", ")))") }
            var affinity = Affinity(estimators: try r.strings(e, "steps.affinity.estimators"))
            for (k, (label, item)) in r.list(e, "steps.affinity.estimators").enumerated() {
                let name = affinity.estimators[k]
                guard affinityEstimators.contains(name) else { throw r.error(label, item, "unknown estimator '\(name)' (known: \(affinityEstimators.joined(separator: ", ")))") }
                if affinity.estimators[..<k].contains(name) { throw r.error(label, item, "'\(name)' is listed twice") }
            }
            guard !affinity.estimators.isEmpty else { throw r.error("steps.affinity.estimators", e, "expected at least one estimator") }
            affinity.every = try a["every"].map { try r.integer($0, "steps.affinity.every", 1...1_000_000) }
            if let f = a["esa_fraction"] { affinity.esaFraction = try r.number(f, "steps.affinity.esa_fraction", 1e-9...1, what: "a fraction of the epochs in (0, 1]") }
            if let f = a["mask_sparsity"] { affinity.maskSparsity = try r.number(f, "steps.affinity.mask_sparsity", 1e-9...(1 - 1e-9), what: "a fraction in (0, 1)") }
            if let b = a["mask_batches"] { affinity.maskBatches = try r.integer(b, "steps.affinity.mask_batches", 1...1_000_000) }
            // A setting of an estimator that is not listed would do nothing: an error, not a no-op.
            let sampled = ["tag", "first-order", "cosine"]
            for (key, applies) in [("every", sampled), ("esa_fraction", ["esa"]), ("mask_sparsity", ["snip-iou", "snip-rank"]), ("mask_batches", ["snip-iou", "snip-rank"])]
            where a[key] != nil && !affinity.estimators.contains(where: applies.contains) {
                throw r.error("steps.affinity.\(key)", a[key], "applies to \(applies.joined(separator: ", ")), and none is listed in steps.affinity.estimators")
            }
            steps.affinity = affinity
        }
        if let n = s["grouping"] {
            let g = try r.mapping(n, "steps.grouping", allowed: ["budgets", "verify", "random_samples"])
            guard let b = g["budgets"] else { throw r.error("steps.grouping.budgets", n, "missing: the numbers of networks to choose, e.g. [2, 3]") }
            let budgets = try r.list(b, "steps.grouping.budgets").map { try r.integer($1, $0, 1...GroundTruth.maxTasks * 100, what: "a number of networks ≥ 1") }
            if let twice = budgets.first(where: { k in budgets.filter { $0 == k }.count > 1 }) { throw r.error("steps.grouping.budgets", b, "\(twice) is listed twice") }
            var grouping = Grouping(budgets: budgets)
            if let v = g["verify"] {
                grouping.verify = try r.bool(v, "steps.grouping.verify")
                if grouping.verify && steps.groundTruth {
                    throw r.error("steps.grouping.verify", v, "with steps.ground_truth the chosen groups are scored on the ground truth's networks; verify trains them only without it")
                }
            }
            if let v = g["random_samples"] { grouping.randomSamples = try r.integer(v, "steps.grouping.random_samples", 0...1_000_000) }
            steps.grouping = grouping
        }
        if let n = s["task_vectors"] {
            var vectors = TaskVectors()
            if n.scalar != nil {
                if try r.bool(n, "steps.task_vectors") { steps.taskVectors = vectors }
            } else {
                let t = try r.mapping(n, "steps.task_vectors", allowed: ["pretrained", "alphas", "include", "merges", "density"])
                if let m = t["merges"] {
                    var merges: [MergeMethod] = []
                    for (label, item) in r.list(m, "steps.task_vectors.merges") {
                        let name = try r.string(item, label)
                        guard let method = MergeMethod(rawValue: name), method.needsBase, method != .fisher else {
                            throw r.error(label, item, "unknown or unsuitable merge '\(name)' (task vectors merge by: task_arithmetic, ties, dare_linear, dare_ties)")
                        }
                        if merges.contains(method) { throw r.error(label, item, "'\(name)' is listed twice") }
                        merges.append(method)
                    }
                    vectors.merges = merges
                }
                if let d = t["density"] { vectors.density = try r.number(d, "steps.task_vectors.density", 1e-9...1, what: "a kept fraction in (0, 1]") }
                if let p = t["pretrained"] {
                    let text = try r.string(p, "steps.task_vectors.pretrained")
                    vectors.pretrained = text == "init" ? text : path(text)
                    if text != "init" && !FileManager.default.fileExists(atPath: vectors.pretrained) {
                        throw r.error("steps.task_vectors.pretrained", p, "expected 'init' (the networks' common initialisation) or a checkpoint; \(vectors.pretrained) does not exist")
                    }
                }
                if let a = t["alphas"] {
                    vectors.alphas = try r.list(a, "steps.task_vectors.alphas").map { try r.number($1, $0, -100...100, what: "a scaling coefficient α in [-100, 100]") }
                    guard !vectors.alphas.isEmpty else { throw r.error("steps.task_vectors.alphas", a, "expected at least one α") }
                }
                if let i = t["include"] {
                    vectors.include = try r.strings(i, "steps.task_vectors.include")
                    guard !vectors.include.isEmpty else { throw r.error("steps.task_vectors.include", i, "expected at least one name pattern, such as trunk.*") }
                }
                steps.taskVectors = vectors
            }
        }
        if let n = s["pruning"] {
            let p = try r.mapping(n, "steps.pruning", allowed: ["methods", "sparsity", "batches"])
            guard let m = p["methods"], let f = p["sparsity"] else { throw r.error("steps.pruning", n, "needs methods (\(PruningRequest.Method.allCases.map(\.rawValue).joined(separator: ", "))) and sparsity (one or more fractions)") }
            var methods: [PruningRequest.Method] = []
            for (label, item) in r.list(m, "steps.pruning.methods") {
                let name = try r.string(item, label)
                guard let method = PruningRequest.Method(rawValue: name) else { throw r.error(label, item, "unknown method '\(name)' (known: \(PruningRequest.Method.allCases.map(\.rawValue).joined(separator: ", ")))") }
                if methods.contains(method) { throw r.error(label, item, "'\(name)' is listed twice") }
                methods.append(method)
            }
            var sparsities: [Double] = []
            for (label, item) in r.list(f, "steps.pruning.sparsity") {
                let value = try r.number(item, label, 0...(1 - 1e-9), what: "a fraction of the trunk's weights in [0, 1)")
                if sparsities.contains(value) { throw r.error(label, item, "\(value) is listed twice") }
                sparsities.append(value)
            }
            guard !methods.isEmpty else { throw r.error("steps.pruning.methods", m, "expected at least one method") }
            guard !sparsities.isEmpty else { throw r.error("steps.pruning.sparsity", f, "expected at least one sparsity") }
            var pruning = Pruning(methods: methods, sparsities: sparsities)
            if let b = p["batches"] { pruning.batches = try r.integer(b, "steps.pruning.batches", 1...1_000_000) }
            steps.pruning = pruning
        }
        return steps
    }

    static func parseSweep(_ node: Node, _ r: YAMLFields) throws -> Sweep {
        let s = try r.mapping(node, "sweep", allowed: ["search", "trials", "seed", "select", "parameters"])
        var sweep = Sweep(parameters: [])
        if let n = s["search"] {
            guard let search = Sweep.Search(rawValue: try r.string(n, "sweep.search")) else { throw r.error("sweep.search", n, "expected grid or random") }
            sweep.search = search
        }
        sweep.trials = try s["trials"].map { try r.integer($0, "sweep.trials", 1...10_000) }
        if let n = s["seed"] { sweep.seed = try r.seed(n, "sweep.seed") }
        if let n = s["select"] { sweep.select = try r.string(n, "sweep.select") }
        guard let p = s["parameters"] else { throw r.error("sweep.parameters", node, "missing: the settings to vary (\(sweepable.joined(separator: ", ")))") }
        let parameters = try r.mapping(p, "sweep.parameters", allowed: sweepable)
        guard !parameters.isEmpty else { throw r.error("sweep.parameters", p, "expected at least one setting to vary") }
        for (k, _) in p.mapping! {
            let name = k.string!, value = parameters[name]!, key = "sweep.parameters.\(name)"
            var parameter = Parameter(name: name)
            if let range = value.mapping {
                let m = try r.mapping(value, key, allowed: ["min", "max", "log"])
                guard sweep.search == .random else { throw r.error(key, value, "a range needs search: random (a grid takes a list of values)") }
                guard ["lr", "weight_decay", "momentum"].contains(name) else { throw r.error(key, value, "'\(name)' takes a list of values, not a range (ranges: lr, weight_decay, momentum)") }
                guard let lo = m["min"], let hi = m["max"] else { throw r.error(key, value, "a range needs min and max") }
                let (low, high) = (try r.number(lo, "\(key).min"), try r.number(hi, "\(key).max"))
                guard low < high else { throw r.error(key, value, "min (\(low)) must be below max (\(high))") }
                parameter.range = low...high
                parameter.logScale = try m["log"].map { try r.bool($0, "\(key).log") } ?? false
                if parameter.logScale && low <= 0 { throw r.error(key, value, "a log-scale range needs min > 0") }
                _ = range
            } else {
                var values: [String] = []
                for (label, item) in r.list(value, key) {
                    let text: String
                    if name == "loss_weights" {
                        guard let list = item.sequence else { throw r.error(label, item, "expected a list of per-task weights, e.g. [1.0, 0.5]") }
                        text = "static:" + (try list.enumerated().map { String(try r.number($1, "\(label)[\($0)]", 0...1e6, what: "a weight ≥ 0")) }).joined(separator: ",")
                    } else {
                        text = try r.string(item, label)
                    }
                    if values.contains(text) { throw r.error(label, item, "'\(text)' is listed twice") }
                    do { _ = try Sweep.apply([name: text], to: TrainingConfig(), checkTasks: nil) } catch let error as ConfigurationError { throw r.error(label, item, error.message) }
                    values.append(text)
                }
                guard !values.isEmpty else { throw r.error(key, value, "expected at least one value") }
                parameter.values = values
            }
            sweep.parameters.append(parameter)
        }
        if sweep.search == .random && sweep.trials == nil { throw r.error("sweep.trials", node, "random search needs the number of trials") }
        if sweep.search == .grid && sweep.trials != nil { throw r.error("sweep.trials", s["trials"], "a grid runs every combination; trials applies to search: random") }
        if sweep.search == .random, let trials = sweep.trials, case let drawn = sweep.settings().count, drawn < trials {
            throw r.error("sweep.trials", s["trials"], "only \(drawn) distinct trials can be drawn from these parameters (values are drawn from the lists, and ranges are rounded to 4 significant digits), not \(trials)")
        }
        if sweep.search == .grid {
            let count = sweep.parameters.reduce(1.0) { $0 * Double($1.values!.count) }
            guard count <= 10_000 else { throw r.error("sweep.parameters", p, "the grid has \(Int(count)) combinations; at most 10,000 (use search: random)") }
        }
        return sweep
    }

    /// The estimators a study can run.
    public static let affinityEstimators = ["tag", "first-order", "cosine", "fisher", "pairwise", "esa", "snip-iou", "snip-rank"]

    /// One spelling per weighting, so that equal settings share their cached networks: `ew` and
    /// static weights that are all 1 are `equal` (the same sum of losses, bit for bit); other
    /// static weights are written as Swift writes Doubles (`static:1,.5` → `static:1.0,0.5`).
    /// Static weights become `equal` only when their count is that of the `tasks` (else the
    /// count check must still see them).
    static func canonicalWeighting(_ text: String, tasks: Int? = nil) -> String {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0].lowercased() {
        case "ew", "equal": return parts.count == 1 ? "equal" : text
        case "dwa":  // temperature 2 is the default
            guard parts.count == 2, let t = Double(parts[1]), t.isFinite else { return text }
            return t == 2 ? "dwa" : "dwa:\(t)"
        case "static":
            guard parts.count == 2 else { return text }
            let values = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else { return text }
            return values.allSatisfy { $0 == 1 } && values.count == tasks ? "equal" : "static:" + values.map { String($0!) }.joined(separator: ",")
        default: return text
        }
    }

    /// `base` with a multi-task method: a gradient method (pcgrad, mgda, ...) or else a loss weighting.
    public static func training(_ base: TrainingConfig, method: String, tasks: Int? = nil) throws -> TrainingConfig {
        var training = base
        let head = method.split(separator: ":").first.map(String.init) ?? method
        if GradientMethods.names.contains(where: { $0.split(separator: "[").first.map(String.init) == head }) && head != "sum" {
            (training.gradientMethod, training.weighting) = (GradientMethods.canonical(method), "equal")
        } else {
            (training.weighting, training.gradientMethod) = (canonicalWeighting(method, tasks: tasks), nil)
            let known = ["equal", "ew", "static", "uw", "dwa", "rlw", "famo"]
            guard known.contains(head.lowercased()) else {
                throw ConfigurationError("unknown method '\(method)' (loss weightings: \(Weightings.names.joined(separator: ", ")); gradient methods: \(GradientMethods.names.filter { $0 != "sum" }.joined(separator: ", ")))")
            }
            if !method.hasPrefix("static") { _ = try Weightings.make(method, tasks: 2, seed: 0) }  // its parameter, before the data is loaded
        }
        try training.validate()
        return training
    }
}

extension StudyConfig.Steps {
    var runsAnything: Bool { baselines || groundTruth || multitask != nil || affinity != nil || grouping != nil || taskVectors != nil || pruning != nil }
}
