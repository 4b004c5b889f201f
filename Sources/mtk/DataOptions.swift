import ArgumentParser
import MultiTask

/// Options that choose the data: a built-in suite or CSV files, and the tasks. Each is optional
/// so that a resumed run can tell what was given from what was saved.
struct DataOptions: ParsableArguments {
    @Option(help: "Built-in task suite: fashion-attributes (default), multifashion, synthetic.") var suite: String?
    @Option(help: "CSV file: feature columns and one 'task:NAME[:KIND]' column per task.") var csv: String?
    @Option(help: "CSV test file (default: a seeded 20% of --csv).") var testCsv: String?
    @Option(help: "Comma-separated tasks to learn (default: all).") var tasks: String?
    @Option(parsing: .unconditional, help: "Fraction of training examples held out for validation, in [0, 1) (default 0.1).") var validationFraction: Double?
    @Option(help: "Directory with the Fashion-MNIST IDX files (default: the Debian package's).") var dataDir: String?
    @Option(parsing: .unconditional, help: "Train on a seeded subset of N training examples (validation is held out of them) [all].") var trainExamples: Int?

    /// Whether any data option was given.
    var isEmpty: Bool { suite == nil && csv == nil && testCsv == nil && tasks == nil && validationFraction == nil && dataDir == nil && trainExamples == nil }

    /// The given options applied to `base` (paths made absolute); a fresh source starts from the
    /// default suite unless a CSV is given.
    /// Empty paths are errors, not the working directory.
    func validate() throws {
        for (option, value) in [("--csv", csv), ("--test-csv", testCsv), ("--data-dir", dataDir)] where value == "" {
            throw ValidationError("\(option): the path is empty")
        }
    }

    func apply(to base: DataSource?, seed: UInt64?) -> DataSource {
        var source = base ?? DataSource()
        if base == nil && suite == nil && csv == nil { source.suite = "fashion-attributes" }
        if let suite { source.suite = suite }
        if let csv { source.csv = csv }
        if let testCsv { source.testCSV = testCsv }
        if let tasks { source.tasks = tasks.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
        if let validationFraction { source.validationFraction = validationFraction }
        if let dataDir { source.dataDirectory = dataDir }
        if let trainExamples { source.trainExamples = trainExamples }
        if let seed { source.seed = seed }
        return source.resolved()
    }
}
