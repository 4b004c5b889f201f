/// The elementwise loop machinery: one-input maps and two-input maps with NumPy broadcasting.
/// Results never depend on the thread count: each output element is computed alone.
///
/// Two forms: generic over a kernel type (`UnaryKernel`, `BinaryKernel`), which is specialised per
/// kernel so the operation inlines into the loop and the loop runs in parallel; and closure-taking
/// forms for rarer ops, which run on one thread because a closure cannot be inlined into a loop
/// body that is handed to other threads.

/// A one-input elementwise operation.
protocol UnaryKernel { func callAsFunction(_ x: Float) -> Float }
/// A two-input elementwise operation.
protocol BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float }

/// A closure as a kernel, for the one-thread forms (inlined there, so the call is direct).
private struct ClosureKernel: BinaryKernel {
    let f: (Float, Float) -> Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(a, b) }
}

/// `kernel` applied to every element, in parallel for large tensors.
func unaryMap<K: UnaryKernel>(_ x: Tensor, _ kernel: K) -> Tensor {
    Tensor.build(x.shape) { out in
        x.storage.withUnsafeBufferPointer { px in
            let px = px.baseAddress!
            parallelChunks(x.count, costPerItem: 4) { range in
                for i in range { out[i] = kernel(px[i]) }
            }
        }
    }
}

/// `f` applied to every element (one thread, `f` inlined).
@inline(__always)
func unaryMap(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    Tensor.build(x.shape) { out in
        x.storage.withUnsafeBufferPointer { px in
            let px = px.baseAddress!
            for i in 0..<x.count { out[i] = f(px[i]) }
        }
    }
}

/// `f` applied to matching elements of `a` and `b` broadcast to a common shape (one thread).
@inline(__always)
func binaryMap(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
    withoutActuallyEscaping(f) { f in broadcastLoop(a, b, op: op, parallel: false, ClosureKernel(f: f)) }
}

/// `kernel` applied to matching elements of `a` and `b` broadcast to a common shape, in parallel
/// for large tensors.
func binaryMap<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, op: String, _ kernel: K) -> Tensor {
    broadcastLoop(a, b, op: op, parallel: true, kernel)
}

/// The broadcasting loop, generic so that each kernel gets its own specialised (and, for the
/// parallel form, its own per-thread) loop body.
@inline(__always)
private func broadcastLoop<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, op: String, parallel: Bool, _ f: K) -> Tensor {
    @inline(__always) func chunks(_ count: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        if parallel { parallelChunks(count, costPerItem: cost, body) } else { body(0..<count) }
    }
    if a.shape == b.shape {
        return Tensor.build(a.shape) { out in
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    let pa = pa.baseAddress!, pb = pb.baseAddress!
                    chunks(a.count, cost: 4) { range in
                        for i in range { out[i] = f(pa[i], pb[i]) }
                    }
                }
            }
        }
    }
    let shape = broadcastShapes(a.shape, b.shape, op: op)
    let plan = BroadcastPlan(shape: shape, strides: [broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape)])
    return Tensor.build(shape) { out in
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                let pa = pa.baseAddress!, pb = pb.baseAddress!
                let n = plan.inner, sa = plan.innerStrides[0], sb = plan.innerStrides[1]
                chunks(plan.rows, cost: n * 4) { rows in
                    for row in rows {
                        let x = pa + plan.offset(ofRow: row, operand: 0)
                        let y = pb + plan.offset(ofRow: row, operand: 1)
                        let o = out + row * n
                        if sa == 1 && sb == 1 {
                            for i in 0..<n { o[i] = f(x[i], y[i]) }
                        } else if sa == 1 && sb == 0 {
                            let v = y[0]
                            for i in 0..<n { o[i] = f(x[i], v) }
                        } else if sa == 0 && sb == 1 {
                            let v = x[0]
                            for i in 0..<n { o[i] = f(v, y[i]) }
                        } else {
                            for i in 0..<n { o[i] = f(x[i * sa], y[i * sb]) }
                        }
                    }
                }
            }
        }
    }
}

/// Iteration plan for reading several tensors broadcast to one shape: adjacent axes that are
/// contiguous in every operand are merged, the last merged axis is the inner loop, and each
/// outer "row" is decoded to one start offset per operand.
struct BroadcastPlan {
    /// Extents and per-operand strides of the merged outer axes.
    let outerShape: [Int]
    let outerStrides: [[Int]]
    /// Length of the inner loop and each operand's stride along it.
    let inner: Int
    let innerStrides: [Int]
    var rows: Int { outerShape.product }

    init(shape: [Int], strides: [[Int]]) {
        var dims: [(n: Int, s: [Int])] = []
        for axis in shape.indices where shape[axis] != 1 {
            let s = strides.map { $0[axis] }
            if let last = dims.last, zip(last.s, s).allSatisfy({ $0 == $1 * shape[axis] }) {
                dims[dims.count - 1] = (last.n * shape[axis], s)
            } else {
                dims.append((shape[axis], s))
            }
        }
        let innerDim = dims.popLast() ?? (1, strides.map { _ in 0 })
        inner = innerDim.n
        innerStrides = innerDim.s
        outerShape = dims.map(\.n)
        outerStrides = strides.indices.map { k in dims.map { $0.s[k] } }
    }

    /// The start offset of outer row `row` in operand `k`.
    @inline(__always)
    func offset(ofRow row: Int, operand k: Int) -> Int {
        var offset = 0, r = row
        for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
            offset += (r % outerShape[axis]) * outerStrides[k][axis]
            r /= outerShape[axis]
        }
        return offset
    }
}

extension Tensor {
    /// This tensor broadcast to `shape` (materialised). Its gradient sums over the broadcast axes.
    public func expanded(to shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        guard broadcastShapes(self.shape, shape, op: "expanded(to:)") == shape else {
            shapeError("expanded(to:)", self.shape, shape, "cannot broadcast to the target shape")
        }
        let source = self.shape
        return binaryMap(Tensor.zeros(shape), self, op: "expanded(to:)", Kernel.Second())
            .recording("expand", [self]) { g, _ in [g.sum(toShape: source)] }
    }

    /// The sum of this tensor over the axes along which `shape` was broadcast to this tensor's
    /// shape: the adjoint of broadcasting. (`shape` must broadcast to `self.shape`.)
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let lead = rank - target.count
        guard lead >= 0 else { shapeError("sum(toShape:)", shape, target, "target has more axes") }
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() {
            if d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
            else if d != shape[lead + i] { shapeError("sum(toShape:)", shape, target, "target does not broadcast to the shape") }
        }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }
}
