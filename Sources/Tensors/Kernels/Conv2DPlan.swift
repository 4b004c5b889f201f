/// Validated geometry of one convolution and its forward and backward loops.
///
/// Images are processed in parallel, one worker per thread, each running single-threaded sgemm
/// on its own images; per-image GEMMs are small, so splitting images beats splitting each GEMM.
/// The weight gradient is summed per worker and the partial sums are added in worker order, so
/// results are bit-identical for a fixed thread count.
struct Conv2DPlan: Sendable {
    let inputShape: [Int], weightShape: [Int], outputShape: [Int]
    let batch: Int, inChannels: Int, outChannels: Int, groups: Int
    let height: Int, width: Int, outHeight: Int, outWidth: Int
    let window: Window2D
    /// Per group: rows of the im2col matrix (Cin/groups·kh·kw) and output channels.
    let k: Int, groupOut: Int, groupIn: Int
    var spatial: Int { outHeight * outWidth }
    /// A 1×1, stride-1, unpadded kernel reads the input as the im2col matrix itself.
    var isPointwise: Bool { window == Window2D(kernelH: 1, kernelW: 1) }

    init(_ input: [Int], _ weight: [Int], _ bias: [Int]?, _ stride: Size2, _ padding: Size2, _ dilation: Size2, _ groups: Int) {
        guard input.count == 4, weight.count == 4 else {
            shapeError("conv2d", input, weight, "input must be [N, C, H, W] and weight [Cout, Cin/groups, kh, kw]")
        }
        guard groups >= 1, input[1] % groups == 0, weight[0] % groups == 0, weight[1] * groups == input[1] else {
            shapeError("conv2d", input, weight, "with groups = \(groups), input channels must equal weight.shape[1]·groups and both channel counts must divide by groups")
        }
        guard stride.height >= 1, stride.width >= 1, padding.height >= 0, padding.width >= 0, dilation.height >= 1, dilation.width >= 1 else {
            fatalError("conv2d: stride \(stride) and dilation \(dilation) must be ≥ 1 and padding \(padding) ≥ 0")
        }
        if let bias, bias != [weight[0]] { shapeError("conv2d", weight, bias, "bias must be [Cout]") }
        window = Window2D(kernelH: weight[2], kernelW: weight[3], strideH: stride.height, strideW: stride.width,
                          padH: padding.height, padW: padding.width, dilationH: dilation.height, dilationW: dilation.width)
        (batch, inChannels, height, width) = (input[0], input[1], input[2], input[3])
        (outHeight, outWidth) = window.outputSize(height: height, width: width)
        guard outHeight > 0 && outWidth > 0 else {
            shapeError("conv2d", input, weight, "the dilated kernel is larger than the padded input")
        }
        outChannels = weight[0]
        self.groups = groups
        groupIn = inChannels / groups
        groupOut = outChannels / groups
        k = groupIn * weight[2] * weight[3]
        inputShape = input
        weightShape = weight
        outputShape = [batch, outChannels, outHeight, outWidth]
    }

    /// out[n, g·Cg + o, :] = b[o] + W_g[o, :] · im2col(x[n, group g]) for each image n and group g.
    func forward(_ x: [Float], _ w: [Float], _ bias: [Float]?) -> Tensor {
        Tensor.build(outputShape) { out in
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    eachImage(scratch: colsSize) { _, n, cols in
                        convolve(image: n, px.baseAddress!, pw.baseAddress!, bias, into: out + n * outChannels * spatial, cols: cols)
                    }
                }
            }
        }
    }

    /// The 2×2 max pool of the forward output, [N, Cout, Ho/2, Wo/2], and each pooled element's tap
    /// code (see `maxPool2x2Forward`); each image's output lives only in its worker's scratch.
    func forwardPooled(_ x: [Float], _ w: [Float], _ bias: [Float]?) -> (Tensor, [UInt8]) {
        let pooled = pooledShape
        let plane = pooled[2] * pooled[3]
        var taps = [UInt8](unsafeUninitializedCapacity: pooled.product) { _, count in count = pooled.product }
        let out = Tensor.build(pooled) { out in
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    taps.withUnsafeMutableBufferPointer { pt in
                        let pt = pt.baseAddress!
                        eachImage(scratch: colsSize + outChannels * spatial) { _, n, scratch in
                            let image = scratch + colsSize
                            convolve(image: n, px.baseAddress!, pw.baseAddress!, bias, into: image, cols: scratch)
                            maxPool2x2Forward(image, planes: outChannels, height: outHeight, width: outWidth,
                                              output: out + n * outChannels * plane, taps: pt + n * outChannels * plane)
                        }
                    }
                }
            }
        }
        return (out, taps)
    }

    /// The pooled output's shape: [N, Cout, ⌊Ho/2⌋, ⌊Wo/2⌋].
    var pooledShape: [Int] { [batch, outChannels, outHeight / 2, outWidth / 2] }

    /// One image's output [Cout, Ho·Wo]: the bias is written first and each group's GEMM
    /// accumulates onto it, so the bias costs no extra pass.
    private func convolve(image n: Int, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: [Float]?,
                          into image: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        for c in 0..<outChannels { (image + c * spatial).update(repeating: bias?[c] ?? 0, count: spatial) }
        for g in 0..<groups {
            let columns = columns(of: x + (n * inChannels + g * groupIn) * height * width, into: cols)
            BLAS.sgemm(transA: false, transB: false, m: groupOut, n: spatial, k: k,
                       a: w + g * groupOut * k, lda: k, b: columns, ldb: spatial,
                       beta: 1, c: image + g * groupOut * spatial, ldc: spatial, parallel: parallelImages)
        }
    }

    /// The gradients as tensors, in the op's input order (input, weight[, bias]); nil where not needed.
    func gradients(_ grads: (input: [Float]?, weight: [Float]?, bias: [Float]?), needs: [Bool]) -> [Tensor?] {
        [grads.input.map { Tensor(shape: inputShape, storage: $0) }, grads.weight.map { Tensor(shape: weightShape, storage: $0) }]
            + (needs.count > 2 ? [grads.bias.map { Tensor(shape: [outChannels], storage: $0) }] : [])
    }

    /// Backward from the output gradient dy [N, Cout, Ho, Wo]; `needs` = (input, weight[, bias]).
    func backward(_ dy: [Float], _ x: [Float], _ w: [Float], needs: [Bool]) -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
        dy.withUnsafeBufferPointer { pdy in
            let pdy = pdy.baseAddress!
            return backward(x, w, needs: needs, gradientScratch: 0) { n, _ in pdy + n * outChannels * spatial }
        }
    }

    /// Backward from the pooled output's gradient and `forwardPooled`'s tap codes: each image's
    /// output gradient is expanded into the worker's scratch just before it is used.
    func backwardPooled(_ dPooled: [Float], _ taps: [UInt8], _ x: [Float], _ w: [Float], needs: [Bool])
        -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
        let plane = (outHeight / 2) * (outWidth / 2)
        return dPooled.withUnsafeBufferPointer { pg in
            taps.withUnsafeBufferPointer { pt in
                let (pg, pt) = (pg.baseAddress!, pt.baseAddress!)
                return backward(x, w, needs: needs, gradientScratch: outChannels * spatial) { n, scratch in
                    maxPool2x2Backward(gradOutput: pg + n * outChannels * plane, taps: pt + n * outChannels * plane,
                                       planes: outChannels, height: outHeight, width: outWidth, into: scratch)
                    return UnsafePointer(scratch)
                }
            }
        }
    }

    /// dW_g = Σₙ dY[n, g] · im2col(x[n, g])ᵀ and db = Σₙ Σ_spatial dY[n]; dx as `inputGradient` says.
    /// `outputGradient(n, scratch)` returns image n's dY [Cout, Ho·Wo], using `gradientScratch`
    /// floats of the worker's scratch if it needs to.
    private func backward(
        _ x: [Float], _ w: [Float], needs: [Bool], gradientScratch: Int,
        outputGradient: (_ image: Int, _ scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
    ) -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
        let (needInput, needWeight, needBias) = (needs[0], needs[1], needs.count > 2 && needs[2])
        // Each worker's partial sums: the weight gradient followed by the bias gradient.
        let weightCount = weightShape.product, stride = weightCount + outChannels
        let workers = Swift.max(1, Swift.min(ComputeThreads.count, batch))
        var partials = needWeight || needBias ? [Float](repeating: 0, count: workers * stride) : []
        let transposed = needInput && transposesForInputGradient
        let flipped = transposed ? flippedWeight(w) : []
        // The transposed path writes every element of dx; col2im accumulates into zeros.
        var dx = !needInput ? [] : transposed
            ? [Float](unsafeUninitializedCapacity: inputShape.product) { _, count in count = inputShape.product }
            : [Float](repeating: 0, count: inputShape.product)
        let inputScratch = !needInput ? 0 : transposed ? groupOut * window.kernelH * window.kernelW * height * width : k * spatial
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                flipped.withUnsafeBufferPointer { pf in
                    partials.withUnsafeMutableBufferPointer { pdw in
                        dx.withUnsafeMutableBufferPointer { pdx in
                            // (An empty array's buffer may still have a base address: test the flags, not the pointers.)
                            let (px, pw) = (px.baseAddress!, pw.baseAddress!)
                            let (pf, pdw, pdx) = (transposed ? pf.baseAddress : nil, needWeight || needBias ? pdw.baseAddress : nil, needInput ? pdx.baseAddress : nil)
                            eachImage(scratch: colsSize + inputScratch + gradientScratch) { worker, n, scratch in
                                let dy = outputGradient(n, scratch + colsSize + inputScratch)
                                if needBias, let pdw {
                                    let db = pdw + worker * stride + weightCount
                                    for c in 0..<outChannels { db[c] += rowSum(dy + c * spatial, spatial) }
                                }
                                for g in 0..<groups {
                                    let grad = dy + g * groupOut * spatial
                                    if needWeight, let pdw {
                                        let columns = columns(of: px + (n * inChannels + g * groupIn) * height * width, into: scratch)
                                        BLAS.sgemm(transA: false, transB: true, m: groupOut, n: k, k: spatial,
                                                   a: grad, lda: spatial, b: columns, ldb: spatial, beta: 1,
                                                   c: pdw + worker * stride + g * groupOut * k, ldc: k, parallel: parallelImages)
                                    }
                                    if let pdx {
                                        inputGradient(grad, pw + g * groupOut * k, pf.map { $0 + g * groupIn * groupOut * window.kernelH * window.kernelW },
                                                      into: pdx + (n * inChannels + g * groupIn) * height * width, scratch: scratch + colsSize)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var sums = Array(partials.prefix(stride))
        for worker in 1..<workers where !partials.isEmpty {
            for i in 0..<stride { sums[i] += partials[worker * stride + i] }
        }
        return (needInput ? dx : nil, needWeight ? Array(sums[..<weightCount]) : nil, needBias ? Array(sums[weightCount...]) : nil)
    }

    /// Whether dx is computed as a stride-1 convolution of dY with the flipped, transposed kernel:
    /// dx[ci] = Σ_co dY[co] ⋆ rot180(W[co, ci]), padding d·(k−1) − p. It needs stride 1 and
    /// p ≤ d·(k−1); it then writes dx with one GEMM per image and group (M = Cin/groups,
    /// K = Cout/groups·kh·kw) and skips col2im and the zeroing of its buffer, the costliest
    /// memory passes of a convolution's backward. Otherwise dx = col2im(W_gᵀ · dY[n, g]).
    var transposesForInputGradient: Bool {
        !isPointwise && window.strideH == 1 && window.strideW == 1
            && window.padH <= window.dilationH * (window.kernelH - 1) && window.padW <= window.dilationW * (window.kernelW - 1)
    }

    /// The window of the transposed convolution: same kernel and dilation, stride 1, padding d·(k−1) − p.
    private var transposedWindow: Window2D {
        Window2D(kernelH: window.kernelH, kernelW: window.kernelW,
                 padH: window.dilationH * (window.kernelH - 1) - window.padH, padW: window.dilationW * (window.kernelW - 1) - window.padW,
                 dilationH: window.dilationH, dilationW: window.dilationW)
    }

    /// Per group, the [Cin/groups, Cout/groups·kh·kw] matrix F[ci, (co·kh + i)·kw + j] = W[co, ci, kh−1−i, kw−1−j].
    func flippedWeight(_ w: [Float]) -> [Float] {
        let (kh, kw) = (window.kernelH, window.kernelW)
        var f = [Float](repeating: 0, count: w.count)
        for g in 0..<groups {
            for co in 0..<groupOut {
                for ci in 0..<groupIn {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            f[g * groupIn * groupOut * kh * kw + ci * groupOut * kh * kw + (co * kh + i) * kw + j] =
                                w[(((g * groupOut + co) * groupIn + ci) * kh + kh - 1 - i) * kw + kw - 1 - j]
                        }
                    }
                }
            }
        }
        return f
    }

    /// dx of one image and group, [Cin/groups, H, W], from its output gradient [Cout/groups, Ho, Wo]:
    /// through the transposed convolution when `flipped` (that group's F) is given, else by col2im,
    /// accumulating into `target`, which must then start at zero.
    private func inputGradient(_ grad: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ flipped: UnsafePointer<Float>?,
                               into target: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        if let flipped {
            let depth = groupOut * window.kernelH * window.kernelW
            im2col(grad, channels: groupOut, height: outHeight, width: outWidth, window: transposedWindow, into: scratch)
            BLAS.sgemm(transA: false, transB: false, m: groupIn, n: height * width, k: depth,
                       a: flipped, lda: depth, b: scratch, ldb: height * width,
                       c: target, ldc: height * width, parallel: parallelImages)
            return
        }
        let dcols = isPointwise ? target : scratch
        BLAS.sgemm(transA: true, transB: false, m: k, n: spatial, k: groupOut,
                   a: weight, lda: k, b: grad, ldb: spatial,
                   c: dcols, ldc: spatial, parallel: parallelImages)
        if !isPointwise {
            col2im(dcols, channels: groupIn, height: height, width: width, window: window, accumulatingInto: target)
        }
    }

    /// Σ row[0..<n] with eight independent partial sums (vectorisable; a fixed order).
    @inline(__always)
    private func rowSum(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            lanes += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = lanes.sum()
        while i < n { total += row[i]; i += 1 }
        return total
    }

    /// Floats of one group's im2col matrix (none for a pointwise kernel, which reads the input).
    private var colsSize: Int { isPointwise ? 0 : k * spatial }

    /// The im2col matrix of one group of one image: the input itself for a pointwise kernel.
    @inline(__always)
    private func columns(of image: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if isPointwise { return image }
        im2col(image, channels: groupIn, height: height, width: width, window: window, into: scratch)
        return UnsafePointer(scratch)
    }

    /// Whether images are split across workers (each GEMM then runs on one thread), which needs
    /// at least as many images as threads; otherwise each GEMM is split instead.
    private var parallelImages: Bool { ComputeThreads.count > 1 && batch >= ComputeThreads.count }

    /// Calls `body(worker, image, scratch)` for every image: contiguous runs of images per worker
    /// when `parallelImages`, else in order on one worker. The worker count is then
    /// `min(threads, batch)` or 1, as `backward` expects.
    private func eachImage(scratch: Int, _ body: (_ worker: Int, _ image: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        if parallelImages {
            _ = parallelWorkers(batch) { worker, images in
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(scratch, 1))
                defer { buffer.deallocate() }
                for n in images { body(worker, n, buffer) }
            }
        } else {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(scratch, 1))
            defer { buffer.deallocate() }
            for n in 0..<batch { body(0, n, buffer) }
        }
    }
}
