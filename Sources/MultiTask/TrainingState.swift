import Foundation
import NN

/// Where a run stands, saved after every epoch (and at a step-limit stop) so training resumes
/// exactly: the data order follows from (seed, epoch), and the rest is here, in the model and
/// optimizer files beside it.
public struct TrainingState: Sendable, Equatable, Codable {
    /// Epochs completed.
    public var epoch = 0
    /// Steps already taken in the current (incomplete) epoch.
    public var stepInEpoch = 0
    public var globalStep = 0
    /// Per-task loss sums over the current epoch so far, and the number of steps they cover.
    public var epochLossSums: [Double] = []
    public var bestValue: Double?
    public var bestEpoch: Int?
    public var epochsWithoutImprovement = 0
    public var weighting: [String: [Double]] = [:]
    /// The learned weighting parameters (uncertainty's log-variances), by name.
    public var weightingParameters: [String: [Float]] = [:]
    /// Each dropout layer's generator state as 32-bit halves, by module name.
    public var dropoutGenerators: [String: [Double]] = [:]
    public var history: [EpochRecord] = []
    public var finished = false

    public init() {}
}

/// One epoch's record: mean training losses, the weights used, validation results, time.
public struct EpochRecord: Sendable, Equatable, Codable {
    public var epoch: Int
    public var step: Int
    public var learningRate: Double
    public var trainLoss: [String: Double]
    public var weights: [String: Double]
    public var validation: Evaluation?
    public var selectionValue: Double?
    public var seconds: Double
}

/// The files of a run directory.
public struct RunDirectory: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url }
    public var config: URL { url.appendingPathComponent("config.json") }
    public var spec: URL { url.appendingPathComponent("model.yaml") }
    public var state: URL { url.appendingPathComponent("state.json") }
    public var lastModel: URL { url.appendingPathComponent("last.safetensors") }
    public var optimizer: URL { url.appendingPathComponent("optimizer.safetensors") }
    public var bestModel: URL { url.appendingPathComponent("best.safetensors") }
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    public var results: URL { url.appendingPathComponent("results.json") }

    /// Encodes `value` as pretty, key-sorted JSON and writes it atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicWrite.write(try encoder.encode(value), to: url)
    }

    /// Reads JSON written by `writeJSON`; errors name the file.
    public static func readJSON<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigurationError("\(url.path): cannot read (\(error.localizedDescription))") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(type, from: data) } catch { throw ConfigurationError("\(url.path): not a valid \(type) (\(error))") }
    }
}
