import Data
import Files
import Foundation
import NN
import Tensors

/// Where a run's examples come from: a built-in suite or CSV files, and which tasks to learn.
public struct DataSource: Sendable, Equatable, Codable {
    /// A built-in suite (`fashion-attributes`, `multifashion`, `synthetic`).
    public var suite: String?
    /// A CSV table (its tasks from `task:` headers); `testCSV` or else a seeded 20% split is the test set.
    public var csv: String?
    public var testCSV: String?
    /// Tasks to learn (all of the source's by default).
    public var tasks: [String]?
    /// Fraction of the training examples held out for validation (model selection).
    public var validationFraction = 0.1
    /// A directory with the Fashion-MNIST files, instead of the Debian package's.
    public var dataDirectory: String?
    public var seed: UInt64 = 0
    /// Standardise each CSV feature column with the training split's mean and deviation (the
    /// default); false takes the features as they are.
    public var normalizeFeatures = true
    /// A seeded subset of this many training examples (before validation is held out), for
    /// quick studies; nil: all of them.
    public var trainExamples: Int?

    public init() {}

    private enum CodingKeys: String, CodingKey { case suite, csv, testCSV, tasks, validationFraction, dataDirectory, seed, normalizeFeatures, trainExamples }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        suite = try c.decodeIfPresent(String.self, forKey: .suite)
        csv = try c.decodeIfPresent(String.self, forKey: .csv)
        testCSV = try c.decodeIfPresent(String.self, forKey: .testCSV)
        tasks = try c.decodeIfPresent([String].self, forKey: .tasks)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory)
        seed = try c.decode(UInt64.self, forKey: .seed)
        normalizeFeatures = try c.decodeIfPresent(Bool.self, forKey: .normalizeFeatures) ?? true  // runs saved before the option
        trainExamples = try c.decodeIfPresent(Int.self, forKey: .trainExamples)
    }

    /// Checks the choice before anything is loaded: one source, sensible fraction and task list.
    public func validate() throws {
        switch (suite, csv) {
        case (nil, nil): throw ConfigurationError("no data: give a suite (\(TaskSuite.names.joined(separator: ", "))) or a CSV file")
        case (.some, .some): throw ConfigurationError("data: give a suite or a CSV file, not both (suite '\(suite!)', csv '\(csv!)')")
        default: break
        }
        if let suite, !TaskSuite.names.contains(suite) {
            throw ConfigurationError("data: unknown suite '\(suite)' (known: \(TaskSuite.names.joined(separator: ", ")))")
        }
        if testCSV != nil && csv == nil { throw ConfigurationError("data: a test CSV needs a training CSV (--csv)") }
        if let testCSV, let csv, URL(fileURLWithPath: testCSV).standardizedFileURL == URL(fileURLWithPath: csv).standardizedFileURL {
            throw ConfigurationError("data: the test CSV is the training CSV (\(csv)): test metrics would measure memorisation; give another file, or none for a seeded 20% split")
        }
        if !normalizeFeatures && csv == nil { throw ConfigurationError("data: raw features (no normalisation) apply to a CSV, whose features are standardised by default; a suite's inputs are prepared by the suite") }
        if dataDirectory == "" { throw ConfigurationError("data: the data directory is empty; give the folder of IDX files") }
        if dataDirectory != nil && (suite == nil || suite == "synthetic") {
            throw ConfigurationError("data: a Fashion-MNIST directory applies to the fashion-attributes, multifashion and digit-parity suites only, not to \(suite.map { "the \($0) suite" } ?? "a CSV")")
        }
        if let trainExamples, trainExamples < 2 { throw ConfigurationError("data: train examples must be at least 2, got \(trainExamples)") }
        guard validationFraction.isFinite, validationFraction >= 0, validationFraction < 1 else {
            throw ConfigurationError("data: validation fraction must be in [0, 1), got \(validationFraction)")
        }
        if let tasks {
            guard !tasks.isEmpty, !tasks.contains(where: \.isEmpty) else { throw ConfigurationError("data: the task list is empty or has an empty name: \(tasks)") }
            if let twice = tasks.first(where: { name in tasks.filter { $0 == name }.count > 1 }) {
                throw ConfigurationError("data: task '\(twice)' is listed twice")
            }
        }
    }

    /// The same source with file paths made absolute (against the current directory), so a
    /// saved run finds its files from anywhere.
    public func resolved() -> DataSource {
        var copy = self
        func absolute(_ path: String?) -> String? { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        (copy.csv, copy.testCSV, copy.dataDirectory) = (absolute(csv), absolute(testCSV), absolute(dataDirectory))
        return copy
    }
}

/// Train, validation and test sets with the tasks to learn.
public struct PreparedData: Sendable {
    public var train: Dataset
    public var validation: Dataset?
    public var test: Dataset
    public var tasks: [TaskSpec]

    /// Loads and splits the source. Errors name the file or the unknown task.
    public init(_ source: DataSource) throws {
        try source.validate()
        var (train, test): (Dataset, Dataset)
        if let suite = source.suite {
            let directory = source.dataDirectory.map { URL(fileURLWithPath: $0) }
            train = try TaskSuite.load(suite, split: .train, seed: source.seed, directory: directory)
            test = try TaskSuite.load(suite, split: .test, seed: source.seed, directory: directory)
        } else if let csv = source.csv {
            let table = try CSVDataset.load(URL(fileURLWithPath: csv))
            if let testCSV = source.testCSV {
                // The same file under another name (a link) or a copy of it: test metrics would measure memorisation.
                if try PreparedData.sameContents(csv, testCSV) {
                    throw ConfigurationError("data: the test CSV \(testCSV) holds the same bytes as the training CSV \(csv): test metrics would measure memorisation; give another file, or none for a seeded 20% split")
                }
                var other = try CSVDataset.load(URL(fileURLWithPath: testCSV))
                guard other.featureNames == table.featureNames else {
                    throw ConfigurationError("the test CSV \(testCSV) has the feature columns \(PreparedData.list(other.featureNames)), the training CSV \(csv) has \(PreparedData.list(table.featureNames)): they must be the same, in the same order")
                }
                guard Set(other.taskNames) == Set(table.taskNames) else {
                    throw ConfigurationError("the test CSV \(testCSV) has the tasks \(PreparedData.list(other.taskNames)), the training CSV \(csv) has \(PreparedData.list(table.taskNames))")
                }
                other = try other.selecting(tasks: table.taskNames)
                // The same rows written otherwise (CRLF, quoting, other number formats) are the same data.
                if other.count == table.count, other.inputs.scalars == table.inputs.scalars,
                   table.taskNames.allSatisfy({ name in zip(other.labels[name]!.scalars, table.labels[name]!.scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) } }) {
                    throw ConfigurationError("data: the test CSV \(testCSV) holds the same rows as the training CSV \(csv): test metrics would measure memorisation; give another file, or none for a seeded 20% split")
                }
                (train, test) = (table, other)
            } else {
                (train, test) = table.split(validationFraction: 0.2, seed: source.seed ^ 0x7E57)
            }
            if source.normalizeFeatures {
                let normalization = Normalization.fit(train.inputs, perFeature: true)
                train.inputs = normalization.apply(train.inputs)
                test.inputs = normalization.apply(test.inputs)
            }
        } else {
            throw ConfigurationError("no data: give a suite (\(TaskSuite.names.joined(separator: ", "))) or a CSV file")
        }
        if let names = source.tasks {
            train = try train.selecting(tasks: names)
            test = try test.selecting(tasks: names)
        }
        if let count = source.trainExamples {
            guard count <= train.count else {
                throw ConfigurationError("data: train examples \(count) is more than the training split's \(train.count)")
            }
            var generator = RandomGenerator(seed: source.seed ^ 0x5B5E7)
            train = train.subset(Array(generator.permutation(train.count).prefix(count)).sorted())
        }
        try self.init(train: train, test: test, validationFraction: source.validationFraction, seed: source.seed)
        // Names for messages: the source, then the split ("table/validation"), whatever splitting did.
        let base = source.suite ?? source.csv.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "data"
        self.train.name = base + "/train"
        self.validation?.name = base + "/validation"
        self.test.name = base + "/test" + (source.testCSV.map { " (\(URL(fileURLWithPath: $0).lastPathComponent))" } ?? "")
    }

    /// Given training and test sets: carves a seeded validation split from the training set.
    public init(train: Dataset, test: Dataset, validationFraction: Double, seed: UInt64) throws {
        guard Set(train.taskNames) == Set(test.taskNames) else {
            throw ConfigurationError("the training set '\(train.name)' has the tasks \(PreparedData.list(train.taskNames)), the test set '\(test.name)' has \(PreparedData.list(test.taskNames))")
        }
        let test = try test.selecting(tasks: train.taskNames)  // the same order
        if validationFraction > 0 {
            let (fit, held) = train.split(validationFraction: validationFraction, seed: seed)
            (self.train, self.validation) = (fit, held)
        } else {
            (self.train, self.validation) = (train, nil)
        }
        self.test = test
        self.tasks = train.tasks.map { TaskSpec(name: $0.name, kind: $0.kind) }
    }
}

extension PreparedData {
    /// Names for a message: `a, b, c` (at most eight, then a count).
    /// Whether two files hold the same bytes (the same file through a link, or a copy).
    static func sameContents(_ a: String, _ b: String) throws -> Bool {
        let sizes = [a, b].map { path -> Int? in
            (try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path))?[.size] as? Int
        }
        guard let first = sizes[0], first == sizes[1] else { return false }
        return try FileContents.bytes(a, atMost: Int.max) == FileContents.bytes(b, atMost: Int.max)
    }

    static func list(_ names: [String]?) -> String {
        guard let names else { return "(none: not a table)" }
        return names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
    }
}
