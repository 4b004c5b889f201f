/// Backward rules of the ops with more than one input or a non-trivial derivative. One-line rules
/// sit beside their forward op; all rules map the output gradient `g` to one gradient per input,
/// summed back over any axes the forward op broadcast.
enum Backward {
    static func add(_ g: Tensor, _ a: [Int], _ b: [Int], _ needs: [Bool]) -> [Tensor?] {
        [needs[0] ? g.sum(toShape: a) : nil, needs[1] ? g.sum(toShape: b) : nil]
    }

    static func subtract(_ g: Tensor, _ a: [Int], _ b: [Int], _ needs: [Bool]) -> [Tensor?] {
        [needs[0] ? g.sum(toShape: a) : nil, needs[1] ? (-g).sum(toShape: b) : nil]
    }

    /// d(ab) = b·da + a·db.
    static func multiply(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool]) -> [Tensor?] {
        [needs[0] ? (g * b.detached()).sum(toShape: a.shape) : nil,
         needs[1] ? (g * a.detached()).sum(toShape: b.shape) : nil]
    }

    /// d(a/b) = da/b − a·db/b².
    static func divide(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool]) -> [Tensor?] {
        let (a, b) = (a.detached(), b.detached())
        return [needs[0] ? (g / b).sum(toShape: a.shape) : nil,
                needs[1] ? (-g * a / (b * b)).sum(toShape: b.shape) : nil]
    }

    /// d(xʸ) = y·xʸ⁻¹·dx + xʸ·ln x·dy.
    static func pow(_ g: Tensor, _ x: Tensor, _ y: Tensor, _ out: Tensor, _ needs: [Bool]) -> [Tensor?] {
        let (x, y) = (x.detached(), y.detached())
        return [needs[0] ? (g * y * x.pow(y - 1)).sum(toShape: x.shape) : nil,
                needs[1] ? (g * out * x.log()).sum(toShape: y.shape) : nil]
    }

    /// min/max: the gradient goes to the chosen input; on a tie each gets half (PyTorch's rule).
    static func select(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool], firstWins: @escaping (Float, Float) -> Bool) -> [Tensor?] {
        let share = binaryMap(a.detached(), b.detached(), op: "min/max backward") { x, y in firstWins(x, y) ? 1 : (x == y ? 0.5 : 0) }
        return [needs[0] ? (g * share).sum(toShape: a.shape) : nil,
                needs[1] ? (g * (1 - share)).sum(toShape: b.shape) : nil]
    }
}
