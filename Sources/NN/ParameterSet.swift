import Tensors

/// Named tensors in a fixed order — a model's parameters, its gradients, a task vector, a mask —
/// with the arithmetic of a vector space. Task arithmetic, merging and pruning are pure functions
/// over it. Binary operations require the same names (order may differ; the left side's is kept).
public struct ParameterSet: Sendable, Equatable, Sequence, CustomStringConvertible {
    /// Names in order (PyTorch `state_dict` order for a model's parameters).
    public private(set) var names: [String]
    private var values: [String: Tensor]

    public init() { names = []; values = [:] }

    /// Pairs in order; a repeated name is a programming error.
    public init(_ pairs: [(String, Tensor)]) {
        self.init()
        for (name, tensor) in pairs { insert(name, tensor) }
    }

    /// Adds a new entry at the end.
    public mutating func insert(_ name: String, _ tensor: Tensor) {
        guard values[name] == nil else { fatalError("ParameterSet: duplicate name '\(name)'") }
        names.append(name)
        values[name] = tensor
    }

    /// The tensor named `name`; assigning replaces it, or appends a new entry.
    public subscript(name: String) -> Tensor? {
        get { values[name] }
        set {
            if let newValue {
                if values[name] == nil { names.append(name) }
                values[name] = newValue
            } else if values.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    public var count: Int { names.count }
    /// The tensors in order.
    public var tensors: [Tensor] { names.map { values[$0]! } }
    public var isEmpty: Bool { names.isEmpty }
    /// Total number of scalars.
    public var scalarCount: Int { values.values.reduce(0) { $0 + $1.count } }

    public func makeIterator() -> AnyIterator<(name: String, tensor: Tensor)> {
        var i = 0
        return AnyIterator {
            guard i < names.count else { return nil }
            defer { i += 1 }
            return (names[i], values[names[i]]!)
        }
    }

    public var description: String {
        "ParameterSet(\(names.map { "\($0): \(values[$0]!.shape)" }.joined(separator: ", ")))"
    }

    public static func == (a: ParameterSet, b: ParameterSet) -> Bool { a.names == b.names && a.values == b.values }

    // MARK: Selection

    /// The entries whose names satisfy `predicate`, in order.
    public func filter(_ predicate: (String) -> Bool) -> ParameterSet {
        ParameterSet(names.filter(predicate).map { ($0, values[$0]!) })
    }

    /// Entries whose names start with `prefix` (e.g. `"trunk."` for the shared trunk).
    public func with(prefix: String) -> ParameterSet { filter { $0.hasPrefix(prefix) } }

    /// Entries whose names do not start with `prefix`.
    public func without(prefix: String) -> ParameterSet { filter { !$0.hasPrefix(prefix) } }

    // MARK: Maps

    /// `transform` applied to every tensor.
    public func map(_ transform: (Tensor) throws -> Tensor) rethrows -> ParameterSet {
        ParameterSet(try names.map { ($0, try transform(values[$0]!)) })
    }

    /// `transform(name, tensor)` for every entry.
    public func mapWithNames(_ transform: (String, Tensor) throws -> Tensor) rethrows -> ParameterSet {
        ParameterSet(try names.map { ($0, try transform($0, values[$0]!)) })
    }

    /// `transform(a[name], b[name])` for every name; both sets must hold the same names and shapes.
    public static func zip(_ a: ParameterSet, _ b: ParameterSet, _ transform: (Tensor, Tensor) -> Tensor) -> ParameterSet {
        a.requireSameNames(as: b, op: "zip")
        return a.mapWithNames { name, x in
            let y = b.values[name]!
            guard x.shape == y.shape else { fatalError("ParameterSet: '\(name)' has shape \(x.shape) on the left and \(y.shape) on the right") }
            return transform(x, y)
        }
    }

    private func requireSameNames(as other: ParameterSet, op: String) {
        guard Set(names) != Set(other.names) else { return }
        let missing = other.names.filter { values[$0] == nil }, extra = names.filter { other.values[$0] == nil }
        fatalError("ParameterSet.\(op): names differ; only on the left: \(extra.prefix(5)), only on the right: \(missing.prefix(5))")
    }

    // MARK: Vector space

    public static func + (a: ParameterSet, b: ParameterSet) -> ParameterSet { zip(a, b, +) }
    public static func - (a: ParameterSet, b: ParameterSet) -> ParameterSet { zip(a, b, -) }
    public static prefix func - (a: ParameterSet) -> ParameterSet { a.map { -$0 } }
    public static func * (a: ParameterSet, s: Float) -> ParameterSet { a.map { $0 * s } }
    public static func * (s: Float, a: ParameterSet) -> ParameterSet { a * s }
    public static func / (a: ParameterSet, s: Float) -> ParameterSet { a.map { $0 / s } }
    /// Elementwise product, e.g. applying a 0/1 mask.
    public static func * (a: ParameterSet, b: ParameterSet) -> ParameterSet { zip(a, b, *) }

    /// Σ over all entries of Σ aᵢbᵢ, accumulated in Double.
    public func dot(_ other: ParameterSet) -> Double {
        requireSameNames(as: other, op: "dot")
        var total = 0.0
        for name in names {
            let (x, y) = (values[name]!.scalars, other.values[name]!.scalars)
            guard x.count == y.count else { fatalError("ParameterSet.dot: '\(name)' sizes differ (\(x.count) vs \(y.count))") }
            for i in x.indices { total += Double(x[i]) * Double(y[i]) }
        }
        return total
    }

    /// The L2 norm of all entries taken as one vector.
    public var norm: Double { dot(self).squareRoot() }

    /// Cosine similarity ⟨a, b⟩ / (‖a‖‖b‖); 0 when either is zero.
    public func cosine(_ other: ParameterSet) -> Double {
        let denominator = norm * other.norm
        return denominator == 0 ? 0 : dot(other) / denominator
    }

    /// All entries concatenated into one rank-1 tensor, in order.
    public var flattened: Tensor {
        Tensor(names.flatMap { values[$0]!.scalars })
    }
}
