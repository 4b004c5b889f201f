import Foundation

/// A checkpoint as people hand it over: one `.safetensors` file, the `.safetensors.index.json` of
/// a sharded one, or a directory holding either (`model.safetensors` or
/// `model.safetensors.index.json`, the Hugging Face layout). Every file is memory-mapped and
/// validated when opened; tensors are then read a range at a time, so a checkpoint larger than
/// memory can be streamed.
public struct SafetensorsCheckpoint: Sendable {
    /// What was given (file, index or directory), for messages.
    public let path: String
    /// The opened files (one, or each shard in order).
    public let files: [SafetensorsFile]
    /// Every tensor in order (shard order, then file order), with the file that holds it.
    public let tensors: [(entry: SafetensorsEntry, file: Int)]
    private let positionByName: [String: Int]

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
                throw SafetensorsError.unreadableFile(path: path, reason: "a symbolic link that leads nowhere (a missing target, or a loop)")
            }
            throw SafetensorsError.fileNotFound(path: path)
        }
        var target = URL(fileURLWithPath: path)
        if isDirectory.boolValue {
            let exists = { (name: String) in FileManager.default.fileExists(atPath: target.appendingPathComponent(name).path) }
            switch (exists("model.safetensors.index.json"), exists("model.safetensors")) {
            case (true, true):
                throw SafetensorsError.unreadableFile(path: path, reason: "holds both model.safetensors and model.safetensors.index.json; name the one to use")
            case (true, false): target = target.appendingPathComponent("model.safetensors.index.json")
            case (false, true): target = target.appendingPathComponent("model.safetensors")
            case (false, false):
                let hint = exists("best.safetensors") ? " (an mtk run directory: name its best.safetensors or last.safetensors)" : ""
                throw SafetensorsError.unreadableFile(path: path, reason: "a directory without model.safetensors or model.safetensors.index.json\(hint)")
            }
        }
        let files = target.pathExtension == "json" ? try SafetensorsIndex(contentsOf: target).openShards() : [try SafetensorsFile(contentsOf: target)]
        let tensors = files.enumerated().flatMap { position, file in file.entries.map { ($0, position) } }
        var positions: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() { positions[tensor.0.name] = position }
        (self.path, self.files, self.tensors, self.positionByName) = (path, files, tensors, positions)
    }

    /// The names of all tensors, in order.
    public var names: [String] { tensors.map(\.entry.name) }

    /// The entry of the tensor named `name`, or nil.
    public func entry(_ name: String) -> SafetensorsEntry? { positionByName[name].map { tensors[$0].entry } }

    /// Elements `elements` of tensor `name` (which must exist), as Float32, into `out`.
    package func decode(_ name: String, elements: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
        let tensor = tensors[positionByName[name]!]
        files[tensor.file].decode(tensor.entry, elements: elements, into: out)
    }

    /// Drops elements `elements` of tensor `name` from this process's resident memory (see `SafetensorsFile.release`).
    package func release(_ name: String, elements: Range<Int>) {
        let tensor = tensors[positionByName[name]!]
        files[tensor.file].release(tensor.entry, elements: elements)
    }

    /// The total size of the tensors' data in bytes.
    public var dataBytes: Int { tensors.reduce(0) { $0 + $1.entry.byteRange.count } }
}
