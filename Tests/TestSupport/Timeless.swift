import Foundation

/// The JSON of a study's results (`data`, as results.json holds it) without the fields that
/// depend on the clock: two runs of the same study compare equal on everything else.
public func timelessJSON(_ data: Data) throws -> NSDictionary {
    let clock: Set<String> = ["seconds", "cpuSeconds", "computeSeconds", "timings", "groundTruthSeconds", "computeFraction"]
    func strip(_ value: Any) -> Any {
        if let dictionary = value as? [String: Any] { return dictionary.filter { !clock.contains($0.key) }.mapValues(strip) }
        if let array = value as? [Any] { return array.map(strip) }
        return value
    }
    return strip(try JSONSerialization.jsonObject(with: data)) as! NSDictionary
}
