/// Elementwise comparisons giving 0/1 masks (not differentiable), and `where` selection.
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

extension Tensor {
    public static func .== (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".==") { $0 == $1 ? 1 : 0 } }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".!=") { $0 != $1 ? 1 : 0 } }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".<") { $0 < $1 ? 1 : 0 } }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".<=") { $0 <= $1 ? 1 : 0 } }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".>") { $0 > $1 ? 1 : 0 } }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binaryMap(a, b, op: ".>=") { $0 >= $1 ? 1 : 0 } }
    public static func .== (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 == s ? 1 : 0 } }
    public static func .!= (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 != s ? 1 : 0 } }
    public static func .< (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 < s ? 1 : 0 } }
    public static func .<= (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 <= s ? 1 : 0 } }
    public static func .> (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 > s ? 1 : 0 } }
    public static func .>= (a: Tensor, s: Float) -> Tensor { unaryMap(a) { $0 >= s ? 1 : 0 } }

    /// `a` where `condition` is non-zero, else `b`; all three broadcast to a common shape.
    /// The gradient flows to the side that was chosen.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let c = condition.expanded(to: shape).detached()
        let (ea, eb) = (a.expanded(to: shape).detached(), b.expanded(to: shape).detached())
        let out = Tensor.build(shape) { o in
            for i in 0..<c.count { o[i] = c.storage[i] != 0 ? ea.storage[i] : eb.storage[i] }
        }
        let (sa, sb) = (a.shape, b.shape)
        return out.recording("where", [a, b]) { g, n in
            [n[0] ? binaryMap(g, c, op: "where backward") { $1 != 0 ? $0 : 0 }.sum(toShape: sa) : nil,
             n[1] ? binaryMap(g, c, op: "where backward") { $1 != 0 ? 0 : $0 }.sum(toShape: sb) : nil]
        }
    }
}
