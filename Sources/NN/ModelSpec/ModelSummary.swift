import Foundation
import Tensors

extension ModelSpec {
    /// A built-in spec by name (`reference-mlp`, `reference-cnn`) or a YAML file by path.
    public static func resolve(_ nameOrPath: String) throws -> ModelSpec {
        if let spec = builtIn[nameOrPath] { return spec }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw ModelSpecError(source: nameOrPath, path: "", message: "no such file, and not a built-in spec (built-in: \(builtIn.keys.sorted().joined(separator: ", ")))")
        }
        return try load(URL(fileURLWithPath: nameOrPath))
    }

    /// A readable description: the module tree, every parameter with its shape, the totals, the
    /// shared representation's shape and each head's output shape.
    public func summary() throws -> String {
        let model = try build(seed: 0)
        let parameters = model.parameters()
        let width = parameters.names.map(\.count).max() ?? 0
        var lines = ["\(name): input \(input), features \(try featureShape())"]
        for (task, shape) in try outputShapes() { lines.append("  head \(task): output \(shape)") }
        lines.append("")
        lines.append(model.treeDescription)
        lines.append("")
        for (name, tensor) in parameters {
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(tensor.shape)  \(tensor.count)")
        }
        for (name, tensor) in model.buffers() {
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(tensor.shape)  (buffer)")
        }
        let trunk = model.trunkParameters().scalarCount
        lines.append("")
        lines.append("parameters: \(parameters.scalarCount) (trunk \(trunk), heads \(parameters.scalarCount - trunk))")
        return lines.joined(separator: "\n")
    }
}
