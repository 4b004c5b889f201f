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

    /// Applies the layers in order. A ReLU directly followed by a max-pool runs as pool-then-ReLU:
    /// max and ReLU commute, the chosen maximum is the same element, and a window with no positive
    /// value gets zero gradient either way, so values and gradients are unchanged while the ReLU
    /// works on a tensor a quarter the size.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x, i = 0
        while i < layers.count {
            if layers[i] is ReLU, i + 1 < layers.count, layers[i + 1] is MaxPool2d {
                h = layers[i](layers[i + 1](h))
                i += 2
            } else {
                h = layers[i](h)
                i += 1
            }
        }
        return h
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
