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

    /// min/max: the gradient goes to the chosen input; on a tie each gets half; an input loses it
    /// only where the other strictly wins, so where either is NaN both get all of it (PyTorch's rule).
    static func select(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool], firstWins: @escaping (Float, Float) -> Bool) -> [Tensor?] {
        let (a0, b0) = (a.detached(), b.detached())
        func share(_ beaten: @escaping (Float, Float) -> Bool) -> Tensor {
            binaryMap(a0, b0, op: "min/max backward") { x, y in beaten(x, y) ? 0 : (x == y ? 0.5 : 1) }
        }
        return [needs[0] ? (g * share { firstWins($1, $0) }).sum(toShape: a.shape) : nil,
                needs[1] ? (g * share(firstWins)).sum(toShape: b.shape) : nil]
    }
}
