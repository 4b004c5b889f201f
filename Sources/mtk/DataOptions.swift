import ArgumentParser
import MultiTask

/// Options that choose the data: a built-in suite or CSV files, and the tasks.
struct DataOptions: ParsableArguments {
    @Option(help: "Built-in task suite: fashion-attributes, multifashion, synthetic.") var suite: String?
    @Option(help: "CSV file: feature columns and one 'task:NAME[:KIND]' column per task.") var csv: String?
    @Option(help: "CSV test file (default: a seeded 20% of --csv).") var testCsv: String?
    @Option(help: "Comma-separated tasks to learn (default: all).") var tasks: String?
    @Option(help: "Fraction of training examples held out for validation.") var validationFraction = 0.1
    @Option(help: "Directory with the Fashion-MNIST IDX files (default: the Debian package's).") var dataDir: String?

    func source(seed: UInt64) -> DataSource {
        var source = DataSource()
        source.suite = suite ?? (csv == nil ? "fashion-attributes" : nil)
        source.csv = csv
        source.testCSV = testCsv
        source.tasks = tasks?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        source.validationFraction = validationFraction
        source.dataDirectory = dataDir
        source.seed = seed
        return source
    }
}
