import Tensors

/// Modules applied in order, named "0", "1", ... (PyTorch's `nn.Sequential`).
public final class Sequential: Module {
    public private(set) var layers: [Module] = []

    public init(_ layers: [Module]) {
        super.init()
        for layer in layers { append(layer) }
    }

    public func append(_ layer: Module) {
        registerModule(String(layers.count), layer)
        layers.append(layer)
    }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }

    public override var summary: String { "Sequential" }
}

/// Named modules in insertion order (PyTorch's `nn.ModuleDict`).
public final class ModuleDict: Module {
    public private(set) var keys: [String] = []

    public init(_ entries: [(String, Module)] = []) {
        super.init()
        for (key, module) in entries { insert(key, module) }
    }

    public func insert(_ key: String, _ module: Module) {
        registerModule(key, module)
        keys.append(key)
    }

    public subscript(key: String) -> Module? { children.first { $0.name == key }?.module }

    public override var summary: String { "ModuleDict" }
}
