/// Validated geometry of one convolution and its forward loops (backward: Conv2DBackward.swift).
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
    func convolve(image n: Int, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: [Float]?,
                          into image: UnsafeMutablePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        for c in 0..<outChannels { (image + c * spatial).update(repeating: bias?[c] ?? 0, count: spatial) }
        for g in 0..<groups {
            let columns = columns(of: x + (n * inChannels + g * groupIn) * height * width, into: cols)
            BLAS.sgemm(transA: false, transB: false, m: groupOut, n: spatial, k: k,
                       a: w + g * groupOut * k, lda: k, b: columns, ldb: spatial,
                       beta: 1, c: image + g * groupOut * spatial, ldc: spatial, parallel: parallelImages)
        }
    }

    /// Σ row[0..<n] with eight independent partial sums (vectorisable; a fixed order).
    @inline(__always)
    func rowSum(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
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
    var colsSize: Int { isPointwise ? 0 : k * spatial }

    /// The im2col matrix of one group of one image: the input itself for a pointwise kernel.
    @inline(__always)
    func columns(of image: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if isPointwise { return image }
        im2col(image, channels: groupIn, height: height, width: width, window: window, into: scratch)
        return UnsafePointer(scratch)
    }

    /// Whether images are split across workers (each GEMM then runs on one thread), which needs
    /// at least as many images as threads; otherwise each GEMM is split instead.
    var parallelImages: Bool { ComputeThreads.count > 1 && batch >= ComputeThreads.count }

    /// Calls `body(worker, image, scratch)` for every image: contiguous runs of images per worker
    /// when `parallelImages`, else in order on one worker. The worker count is then
    /// `min(threads, batch)` or 1, as `backward` expects.
    func eachImage(scratch: Int, _ body: (_ worker: Int, _ image: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
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
