import NN
import Tensors

/// An optimizer turns gradients into a parameter update and keeps per-parameter state (momentum,
/// moment estimates). Like mlx's optimizers, it only writes the update: the model owns the
/// parameters. Parameters without a gradient are left alone, as in PyTorch.
public protocol Optimizer {
    /// The learning rate of the next step (schedules set it).
    var learningRate: Float { get set }

    /// Updated values for the parameters that have a gradient.
    mutating func step(_ parameters: ParameterSet, gradients: ParameterSet) -> ParameterSet

    /// Everything needed to continue exactly: kind, hyperparameters, per-parameter state.
    func state() -> OptimizerState

    /// Restores the state saved by `state()`; throws if it belongs to another kind of optimizer.
    mutating func load(_ state: OptimizerState) throws
}

extension Optimizer {
    /// One step on a module: reads its parameters, applies the update, writes them back.
    public mutating func update(_ module: Module, gradients: ParameterSet) {
        let updated = step(module.parameters(), gradients: gradients)
        do { try module.update(parameters: updated) } catch { fatalError("optimizer update: \(error)") }
    }
}

/// An optimizer's saved state: its kind, hyperparameters and named state tensors such as
/// `exp_avg.trunk.0.weight` and `step.trunk.0.weight`.
public struct OptimizerState: Sendable, Equatable {
    public var kind: String
    public var hyperparameters: [String: Double]
    public var tensors: ParameterSet

    public init(kind: String, hyperparameters: [String: Double], tensors: ParameterSet) {
        (self.kind, self.hyperparameters, self.tensors) = (kind, hyperparameters, tensors)
    }
}

/// Errors from restoring optimizer state.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    case wrongKind(expected: String, found: String)
    case malformed(String)

    public var description: String {
        switch self {
        case .wrongKind(let expected, let found): "optimizer state is for '\(found)', expected '\(expected)'"
        case .malformed(let message): "optimizer state: \(message)"
        }
    }
}

/// Runs `body` over the parameters that have gradients, with the current values `p`, fresh
/// storage `updated` for the new values (uninitialised: `body` writes every element), the
/// gradient, and mutable state slots: the shared loop of every optimizer. Writing out of place
/// saves the copy an in-place update would make of storage the model still shares.
func forEachParameter(
    _ parameters: ParameterSet, _ gradients: ParameterSet, slots: inout [String: [[Float]]], slotCount: Int,
    _ body: (_ name: String, _ p: UnsafePointer<Float>, _ updated: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
             _ count: Int, _ state: inout [[Float]], _ fresh: Bool) -> Void
) -> ParameterSet {
    var out = parameters
    for (name, grad) in gradients {
        guard let param = parameters[name] else { fatalError("optimizer: gradient for unknown parameter '\(name)'") }
        guard param.shape == grad.shape else { fatalError("optimizer: '\(name)' has shape \(param.shape) but its gradient \(grad.shape)") }
        let taken = slots.removeValue(forKey: name)
        let fresh = taken == nil
        var state = taken ?? Array(repeating: [Float](repeating: 0, count: param.count), count: slotCount)
        let values = [Float](unsafeUninitializedCapacity: param.count) { buffer, count in
            param.withUnsafeBufferPointer { p in
                grad.withUnsafeBufferPointer { g in
                    body(name, p.baseAddress!, buffer.baseAddress!, g.baseAddress!, param.count, &state, fresh)
                }
            }
            count = param.count
        }
        if slotCount > 0 { slots[name] = state }
        out[name] = Tensor(shape: param.shape, scalars: values)
    }
    return out
}

/// Per-parameter slot arrays as named tensors `slot.parameter`, and back.
enum SlotCoding {
    static func encode(_ slots: [String: [[Float]]], names: [String], order: [String], shapes: [String: [Int]]) -> ParameterSet {
        var out = ParameterSet()
        for parameter in order where slots[parameter] != nil {
            for (k, slot) in names.enumerated() {
                out.insert("\(slot).\(parameter)", Tensor(shape: shapes[parameter]!, scalars: slots[parameter]![k]))
            }
        }
        return out
    }

    static func decode(_ tensors: ParameterSet, names: [String]) throws -> (slots: [String: [[Float]]], shapes: [String: [Int]], order: [String]) {
        var slots: [String: [[Float]]] = [:], shapes: [String: [Int]] = [:], order: [String] = []
        for (key, tensor) in tensors {
            guard let dot = key.firstIndex(of: "."), let k = names.firstIndex(of: String(key[..<dot])) else {
                throw OptimizerError.malformed("unexpected entry '\(key)' (slots are \(names.joined(separator: ", ")))")
            }
            let parameter = String(key[key.index(after: dot)...])
            if slots[parameter] == nil {
                slots[parameter] = Array(repeating: [], count: names.count)
                shapes[parameter] = tensor.shape
                order.append(parameter)
            }
            slots[parameter]![k] = tensor.scalars
        }
        for (parameter, values) in slots where values.contains(where: { $0.isEmpty && shapes[parameter]!.reduce(1, *) > 0 }) {
            throw OptimizerError.malformed("'\(parameter)' is missing one of the slots \(names.joined(separator: ", "))")
        }
        return (slots, shapes, order)
    }
}
