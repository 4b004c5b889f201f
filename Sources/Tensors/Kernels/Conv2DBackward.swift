/// The backward pass of `Conv2DPlan`: weight and bias gradients per worker, summed in worker
/// order, and the input gradient by transposed convolution (stride 1) or col2im.
extension Conv2DPlan {
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
}
