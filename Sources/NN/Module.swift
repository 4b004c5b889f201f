import Tensors

/// A network component with named parameters, buffers and sub-modules, as PyTorch's `nn.Module`.
///
/// Names are flat dotted keys built from registration order and match the `state_dict` of the
/// equivalent PyTorch model: own parameters, own buffers, then each child's entries under
/// `childName.`. Modules are classes (a model is one object that changes as it trains); the
/// values they hold are `Tensor`s, so taking a snapshot (`parameters()`) costs no copy.
open class Module {
    /// Training mode (batch statistics, dropout) versus evaluation mode.
    public private(set) var isTraining = true
    private var parameterSlots: [(name: String, value: Tensor)] = []
    private var bufferSlots: [(name: String, value: Tensor)] = []
    /// Direct sub-modules in registration order.
    public private(set) var children: [(name: String, module: Module)] = []

    public init() {}

    /// Applies the module to one input. Containers without a single-input forward trap here.
    open func callAsFunction(_ x: Tensor) -> Tensor {
        fatalError("\(type(of: self)) has no single-input forward")
    }

    /// A short description of the layer and its settings, as PyTorch's `extra_repr`.
    open var summary: String { "\(type(of: self))" }

    // MARK: Registration (for subclasses)

    public func registerParameter(_ name: String, _ value: Tensor) {
        guard !parameterSlots.contains(where: { $0.name == name }) else { fatalError("\(type(of: self)): parameter '\(name)' registered twice") }
        parameterSlots.append((name, value))
    }

    public func registerBuffer(_ name: String, _ value: Tensor) {
        guard !bufferSlots.contains(where: { $0.name == name }) else { fatalError("\(type(of: self)): buffer '\(name)' registered twice") }
        bufferSlots.append((name, value))
    }

    public func registerModule(_ name: String, _ module: Module) {
        guard !children.contains(where: { $0.name == name }) else { fatalError("\(type(of: self)): module '\(name)' registered twice") }
        children.append((name, module))
    }

    /// An own parameter by name (hot path of every forward: a short linear search).
    public func parameter(_ name: String) -> Tensor {
        for slot in parameterSlots where slot.name == name { return slot.value }
        fatalError("\(type(of: self)) has no parameter '\(name)'")
    }

    /// An own buffer by name.
    public func buffer(_ name: String) -> Tensor {
        for slot in bufferSlots where slot.name == name { return slot.value }
        fatalError("\(type(of: self)) has no buffer '\(name)'")
    }

    /// Replaces an own buffer (running statistics during training).
    public func setBuffer(_ name: String, _ value: Tensor) {
        guard let i = bufferSlots.firstIndex(where: { $0.name == name }) else { fatalError("\(type(of: self)) has no buffer '\(name)'") }
        bufferSlots[i].value = value
    }

    // MARK: Traversal

    /// Every parameter under its dotted name, in `state_dict` order.
    public func parameters() -> ParameterSet { collect(parameters: true, buffers: false) }

    /// Every buffer (running statistics, counters) under its dotted name.
    public func buffers() -> ParameterSet { collect(parameters: false, buffers: true) }

    /// Parameters and buffers in PyTorch's `state_dict` order: per module, own parameters, own
    /// buffers, then children.
    public func stateDict() -> ParameterSet { collect(parameters: true, buffers: true) }

    private func collect(parameters: Bool, buffers: Bool) -> ParameterSet {
        var out = ParameterSet()
        visit(prefix: "") { prefix, module in
            if parameters { for slot in module.parameterSlots { out.insert(prefix + slot.name, slot.value) } }
            if buffers { for slot in module.bufferSlots { out.insert(prefix + slot.name, slot.value) } }
        }
        return out
    }

    /// Every module with its dotted prefix ("" for self, "trunk.0." for a child's child), pre-order.
    public func namedModules() -> [(name: String, module: Module)] {
        var out: [(String, Module)] = []
        visit(prefix: "") { prefix, module in out.append((String(prefix.dropLast()), module)) }
        return out
    }

    private func visit(prefix: String, _ body: (String, Module) -> Void) {
        body(prefix, self)
        for child in children { child.module.visit(prefix: prefix + child.name + ".", body) }
    }

    // MARK: Loading

    /// Replaces parameters by name. Every name must exist with the same shape; names not given
    /// keep their values. Errors name the offending key.
    public func update(parameters: ParameterSet) throws {
        try assign(parameters, allowBuffers: false)
    }

    /// Loads a `state_dict` (parameters and buffers). With `strict`, the keys must match exactly.
    public func load(stateDict: ParameterSet, strict: Bool = true) throws {
        let own = self.stateDict().names
        if strict {
            let expected = Set(own), given = Set(stateDict.names)
            let missing = own.filter { !given.contains($0) }
            let unexpected = stateDict.names.filter { !expected.contains($0) }
            if !missing.isEmpty || !unexpected.isEmpty { throw ModuleError.keysDiffer(missing: missing, unexpected: unexpected) }
        }
        let known = Set(own)
        try assign(stateDict.filter { known.contains($0) }, allowBuffers: true)
    }

    private func assign(_ values: ParameterSet, allowBuffers: Bool) throws {
        var slots: [String: (Module, Int, Bool)] = [:]
        visit(prefix: "") { prefix, module in
            for (i, slot) in module.parameterSlots.enumerated() { slots[prefix + slot.name] = (module, i, true) }
            if allowBuffers { for (i, slot) in module.bufferSlots.enumerated() { slots[prefix + slot.name] = (module, i, false) } }
        }
        for (name, tensor) in values {
            guard let (module, i, isParameter) = slots[name] else { throw ModuleError.unknownKey(name) }
            let current = isParameter ? module.parameterSlots[i].value : module.bufferSlots[i].value
            guard current.shape == tensor.shape else { throw ModuleError.shapeMismatch(key: name, expected: current.shape, found: tensor.shape) }
        }
        for (name, tensor) in values {
            let (module, i, isParameter) = slots[name]!
            if isParameter { module.parameterSlots[i].value = tensor } else { module.bufferSlots[i].value = tensor }
        }
    }

    // MARK: Modes

    /// Sets training mode on this module and all below it.
    public func train(_ on: Bool = true) {
        visit(prefix: "") { _, module in module.isTraining = on }
    }

    /// Sets evaluation mode on this module and all below it.
    public func eval() { train(false) }

    /// A tree listing of the modules, as PyTorch prints a model.
    public var treeDescription: String {
        namedModules().map { name, module in
            let depth = name.isEmpty ? 0 : name.split(separator: ".").count
            return String(repeating: "  ", count: depth) + (name.isEmpty ? "" : "(\(name.split(separator: ".").last!)): ") + module.summary
        }.joined(separator: "\n")
    }
}

/// Errors from loading parameters into a module.
public enum ModuleError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case keysDiffer(missing: [String], unexpected: [String])

    public var description: String {
        switch self {
        case .unknownKey(let key): "no parameter or buffer named '\(key)' in the model"
        case .shapeMismatch(let key, let expected, let found): "'\(key)': expected shape \(expected), found \(found)"
        case .keysDiffer(let missing, let unexpected):
            "state dict keys differ from the model's: missing \(missing.isEmpty ? "none" : missing.joined(separator: ", ")); unexpected \(unexpected.isEmpty ? "none" : unexpected.joined(separator: ", "))"
        }
    }
}

extension Module {
    /// The value of `loss` and its gradient with respect to every parameter of this module
    /// (mlx's `valueAndGrad(model:)`). The parameters are swapped for graph leaves while `loss`
    /// runs and restored afterwards.
    public func valueAndGradient(_ loss: () throws -> Tensor) rethrows -> (value: Tensor, gradients: ParameterSet) {
        let (values, grads) = try valuesAndGradients { [try loss()] }
        return (values[0], grads[0])
    }

    /// Several losses from one forward pass and the gradient of each with respect to the named
    /// parameters (all by default; e.g. only the trunk's): per-task gradients for gradient methods.
    public func valuesAndGradients(of names: [String]? = nil, _ losses: () throws -> [Tensor]) rethrows -> (values: [Tensor], gradients: [ParameterSet]) {
        try withGradientLeaves(names) { leaves in
            let values = try losses()
            let gradients = values.map { value in
                ParameterSet(Swift.zip(leaves.names, value.gradients(wrt: leaves.tensors)).map { ($0, $1) })
            }
            return (values.map { $0.detached() }, gradients)
        }
    }

    /// `objective`, a function of several `parts` (the task losses) and of `extra` parameters that
    /// live outside the module, with its gradient of every parameter of the module and of `extra` — and,
    /// from the same forward pass, each part's own gradient of the `split` parameters (the shared
    /// trunk's; none when `split` is empty). The objective's gradient of the split parameters is
    /// then assembled from the parts' gradients, Σₜ (∂objective/∂partₜ)·∇partₜ, instead of paying
    /// one more backward pass through them: it equals the direct gradient up to float rounding,
    /// provided the objective depends on the split parameters only through the parts.
    public func partsAndGradients(
        with extra: ParameterSet, splitting split: [String],
        parts: () throws -> [Tensor], objective: ([Tensor], ParameterSet) throws -> Tensor
    ) rethrows -> (parts: [Tensor], gradients: ParameterSet, extraGradients: ParameterSet, partGradients: [ParameterSet]) {
        try withGradientLeaves(nil) { leaves in
            let extraLeaves = extra.map { $0.requiringGradient() }
            let values = try parts()
            let value = try objective(values, extraLeaves)
            let splitNames = Set(split)
            let direct = leaves.filter { !splitNames.contains($0) }
            let inputs = direct.tensors + extraLeaves.tensors + (split.isEmpty ? [] : values)
            let grads = value.gradients(wrt: inputs)
            var byName = Dictionary(uniqueKeysWithValues: Swift.zip(direct.names, grads))
            let extraGradients = ParameterSet(Swift.zip(extra.names, grads.dropFirst(direct.count)).map { ($0, $1) })
            var partGradients: [ParameterSet] = []
            if !split.isEmpty {
                precondition(!values.isEmpty, "partsAndGradients: splitting needs at least one part")
                let splitLeaves = split.map { name -> Tensor in
                    guard let leaf = leaves[name] else { fatalError("partsAndGradients: the model has no parameter '\(name)'") }
                    return leaf
                }
                partGradients = values.map { part in ParameterSet(Swift.zip(split, part.gradients(wrt: splitLeaves)).map { ($0, $1) }) }
                let weights = grads.suffix(values.count).map { $0.scalar }
                for (i, name) in split.enumerated() {
                    func term(_ t: Int) -> Tensor { weights[t] == 1 ? partGradients[t].tensors[i] : partGradients[t].tensors[i] * weights[t] }
                    var total = term(0)
                    for t in 1..<values.count { total = total + term(t) }
                    byName[name] = total
                }
            }
            let gradients = ParameterSet(leaves.names.map { ($0, byName[$0]!) })
            return (values.map { $0.detached() }, gradients, extraGradients, partGradients)
        }
    }

    /// Gradients through a shared representation ("rep-grad"): `features()` computes z from the
    /// module's parameters, `parts(z)` the task losses from it; each loss's gradient at z (cheap:
    /// through its head only) goes to `combine`, whose direction d at z is pulled back through the
    /// `split` parameters (the trunk) in one vector–Jacobian product, dᵀ∂z/∂θ. Every other parameter
    /// (the heads) gets the gradient of the summed losses.
    public func representationGradients(
        splitting split: [String], features: () throws -> Tensor, parts: (Tensor) throws -> [Tensor],
        combine: (_ atRepresentation: [Tensor], _ losses: [Tensor]) throws -> Tensor
    ) rethrows -> (parts: [Tensor], gradients: ParameterSet) {
        try withGradientLeaves(nil) { leaves in
            let z = try features()
            let values = try parts(z)
            precondition(!values.isEmpty, "representationGradients: no losses")
            let atRepresentation = values.map { $0.gradients(wrt: [z])[0] }
            let direction = try combine(atRepresentation, values)
            let splitNames = Set(split)
            let trunk = leaves.filter { splitNames.contains($0) }, rest = leaves.filter { !splitNames.contains($0) }
            var byName: [String: Tensor] = [:]
            for (name, gradient) in Swift.zip(trunk.names, z.gradients(wrt: trunk.tensors, seed: direction)) { byName[name] = gradient }
            let total = values.dropFirst().reduce(values[0], +)
            for (name, gradient) in Swift.zip(rest.names, total.gradients(wrt: rest.tensors)) { byName[name] = gradient }
            return (values.map { $0.detached() }, ParameterSet(leaves.names.map { ($0, byName[$0]!) }))
        }
    }

    /// Runs `body` with this module's parameters temporarily replaced (e.g. TAG's lookahead
    /// weights θ − η·gᵢ), restoring them afterwards.
    public func withParameters<R>(_ values: ParameterSet, _ body: () throws -> R) throws -> R {
        let saved = parameters()
        try update(parameters: values)
        defer { try! update(parameters: saved) }
        return try body()
    }

    /// Runs `body` with the named parameters (all by default) swapped for fresh graph leaves, which
    /// it receives, and restores the parameters afterwards: the shared core of the gradient calls.
    private func withGradientLeaves<R>(_ names: [String]?, _ body: (ParameterSet) throws -> R) rethrows -> R {
        let saved = parameters()
        let leaves = ParameterSet((names ?? saved.names).map { name in
            guard let value = saved[name] else { fatalError("gradients: the model has no parameter '\(name)'") }
            return (name, value.requiringGradient())
        })
        try! update(parameters: leaves)
        defer { try! update(parameters: saved) }
        return try body(leaves)
    }
}
