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

    /// Applies the layers in order, with two rewrites that leave values and gradients unchanged:
    /// - a ReLU directly followed by a max-pool runs as pool-then-ReLU: max and ReLU commute, the
    ///   chosen maximum is the same element, and a window with no positive value gets zero gradient
    ///   either way, while the ReLU works on a tensor a quarter the size;
    /// - a Conv2d followed (after that swap) by a 2×2 max-pool runs as one fused op that never
    ///   stores the convolution's output (`Conv2d.maxPool2x2`).
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x, i = 0
        while i < layers.count {
            let next = i + 1 < layers.count ? layers[i + 1] : nil, afterNext = i + 2 < layers.count ? layers[i + 2] : nil
            if let conv = layers[i] as? Conv2d, let pool = next as? MaxPool2d, pool.tiles2x2 {
                h = conv.maxPool2x2(h)
                i += 2
            } else if let conv = layers[i] as? Conv2d, next is ReLU, let pool = afterNext as? MaxPool2d, pool.tiles2x2 {
                h = layers[i + 1](conv.maxPool2x2(h))
                i += 3
            } else if layers[i] is ReLU, let pool = next as? MaxPool2d {
                h = layers[i](pool(h))
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
