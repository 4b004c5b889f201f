/// 2-D convolution (cross-correlation, as PyTorch's `conv2d`) by im2col + GEMM.
///
/// Images are processed in parallel, one worker per thread, each running single-threaded sgemm
/// on its own images; per-image GEMMs are small, so splitting images beats splitting each GEMM.
/// The weight gradient is summed per worker and the partial sums are added in worker order, so
/// results are bit-identical for a fixed thread count. Cost per image: 2·Cout·(Cin/groups)·kh·kw·Ho·Wo
/// flops forward, twice that backward.
extension Tensor {
    /// input [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout] → [N, Cout, Ho, Wo].
    public static func conv2d(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
        stride: Size2 = 1, padding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1
    ) -> Tensor {
        let conv = Conv2DPlan(input.shape, weight.shape, bias?.shape, stride, padding, dilation, groups)
        let out = conv.forward(input.storage, weight.storage, bias?.storage)
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return out.recording("conv2d", inputs) { g, needs in
            let grads = conv.backward(g.storage, input.storage, weight.storage,
                                      needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
            return [grads.input.map { Tensor(shape: conv.inputShape, storage: $0) },
                    grads.weight.map { Tensor(shape: conv.weightShape, storage: $0) }]
                + (needs.count > 2 ? [grads.bias.map { Tensor(shape: [conv.outChannels], storage: $0) }] : [])
        }
    }
}

/// Validated geometry of one convolution and its forward and backward loops.
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

    /// out[n, g·Cg + o, :] = b[o] + W_g[o, :] · im2col(x[n, group g]) for each image n and group g;
    /// the bias is written first and the GEMM accumulates onto it, so it costs no extra pass.
    func forward(_ x: [Float], _ w: [Float], _ bias: [Float]?) -> Tensor {
        Tensor.build(outputShape) { out in
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    eachImage(scratch: isPointwise ? 0 : k * spatial) { _, n, cols in
                        let image = out + n * outChannels * spatial
                        for c in 0..<outChannels { (image + c * spatial).update(repeating: bias?[c] ?? 0, count: spatial) }
                        for g in 0..<groups {
                            let columns = columns(of: px.baseAddress! + (n * inChannels + g * groupIn) * height * width, into: cols)
                            BLAS.sgemm(transA: false, transB: false, m: groupOut, n: spatial, k: k,
                                       a: pw.baseAddress! + g * groupOut * k, lda: k, b: columns, ldb: spatial,
                                       beta: 1, c: image + g * groupOut * spatial, ldc: spatial, parallel: parallelImages)
                        }
                    }
                }
            }
        }
    }

    /// dW_g = Σₙ dY[n, g] · im2col(x[n, g])ᵀ, db = Σₙ Σ_spatial dY[n] and dx[n, g] = col2im(W_gᵀ · dY[n, g]).
    func backward(_ dy: [Float], _ x: [Float], _ w: [Float], needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (input: [Float]?, weight: [Float]?, bias: [Float]?) {
        // Each worker's partial sums: the weight gradient followed by the bias gradient.
        let weightCount = weightShape.product, stride = weightCount + outChannels
        let workers = Swift.max(1, Swift.min(ComputeThreads.count, batch))
        var partials = needWeight || needBias ? [Float](repeating: 0, count: workers * stride) : []
        var dx = needInput ? [Float](repeating: 0, count: inputShape.product) : []
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    partials.withUnsafeMutableBufferPointer { pdw in
                        dx.withUnsafeMutableBufferPointer { pdx in
                            let (pdy, px, pw, pdw, pdx) = (pdy.baseAddress!, px.baseAddress!, pw.baseAddress!, pdw.baseAddress, pdx.baseAddress)
                            let colsSize = isPointwise ? 0 : k * spatial
                            eachImage(scratch: colsSize + (needInput ? k * spatial : 0)) { worker, n, scratch in
                                if needBias, let pdw {
                                    let db = pdw + worker * stride + weightCount
                                    for c in 0..<outChannels { db[c] += rowSum(pdy + (n * outChannels + c) * spatial, spatial) }
                                }
                                for g in 0..<groups {
                                    let grad = pdy + (n * outChannels + g * groupOut) * spatial
                                    if needWeight, let pdw {
                                        let columns = columns(of: px + (n * inChannels + g * groupIn) * height * width, into: scratch)
                                        BLAS.sgemm(transA: false, transB: true, m: groupOut, n: k, k: spatial,
                                                   a: grad, lda: spatial, b: columns, ldb: spatial, beta: 1,
                                                   c: pdw + worker * stride + g * groupOut * k, ldc: k, parallel: parallelImages)
                                    }
                                    if needInput, let pdx {
                                        let target = pdx + (n * inChannels + g * groupIn) * height * width
                                        let dcols = isPointwise ? target : scratch + colsSize
                                        BLAS.sgemm(transA: true, transB: false, m: k, n: spatial, k: groupOut,
                                                   a: pw + g * groupOut * k, lda: k, b: grad, ldb: spatial,
                                                   c: dcols, ldc: spatial, parallel: parallelImages)
                                        if !isPointwise {
                                            col2im(dcols, channels: groupIn, height: height, width: width, window: window, accumulatingInto: target)
                                        }
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
