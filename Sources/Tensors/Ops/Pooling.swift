/// 2-D pooling over [N, C, H, W] tensors, as PyTorch's `max_pool2d`, `avg_pool2d` and
/// `adaptive_avg_pool2d` (floor mode). Planes (N·C of them) are processed in parallel.
extension Tensor {
    /// Maximum over each window; padding counts as −∞. The gradient goes to the first maximum of
    /// each window in row-major scan order (PyTorch's tie rule); NaN propagates.
    public func maxPool2d(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0, dilation: Size2 = 1) -> Tensor {
        let (planes, window, outShape) = poolGeometry("maxPool2d", kernel, stride, padding, dilation)
        if window == Window2D(kernelH: 2, kernelW: 2, strideH: 2, strideW: 2) { return maxPoolTiles(planes, outShape) }
        let (h, w, oh, ow) = (shape[2], shape[3], outShape[2], outShape[3])
        var indices = [Int32](repeating: 0, count: outShape.product)
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                indices.withUnsafeMutableBufferPointer { pi in
                    let (px, pi) = (px.baseAddress!, pi.baseAddress!)
                    parallelChunks(planes, costPerItem: h * w) { range in
                        maxPool2dForward(px + range.lowerBound * h * w, planes: range.count, height: h, width: w, window: window,
                                         output: out + range.lowerBound * oh * ow, indices: pi + range.lowerBound * oh * ow)
                    }
                }
            }
        }
        let source = shape
        return out.recording("maxPool2d", [self]) { [indices] g, _ in
            [Tensor.poolGradient(source, planes, h, w, oh * ow, g) { gOut, range, gIn in
                indices.withUnsafeBufferPointer { pi in
                    maxPool2dBackward(gradOutput: gOut, indices: pi.baseAddress! + range.lowerBound * oh * ow, planes: range.count,
                                      height: h, width: w, outHeight: oh, outWidth: ow, accumulatingInto: gIn)
                }
            }]
        }
    }

    /// The 2×2, stride-2 max pool: one byte per output records the chosen tap of its tile, and
    /// the backward pass writes the whole input gradient densely in one pass.
    private func maxPoolTiles(_ planes: Int, _ outShape: [Int]) -> Tensor {
        let (h, w, oh, ow) = (shape[2], shape[3], outShape[2], outShape[3])
        var taps = [UInt8](unsafeUninitializedCapacity: outShape.product) { _, count in count = outShape.product }
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                taps.withUnsafeMutableBufferPointer { pt in
                    let (px, pt) = (px.baseAddress!, pt.baseAddress!)
                    parallelChunks(planes, costPerItem: h * w) { range in
                        maxPool2x2Forward(px + range.lowerBound * h * w, planes: range.count, height: h, width: w,
                                          output: out + range.lowerBound * oh * ow, taps: pt + range.lowerBound * oh * ow)
                    }
                }
            }
        }
        let source = shape
        return out.recording("maxPool2d", [self]) { [taps] g, _ in
            [Tensor.build(source) { gIn in
                g.storage.withUnsafeBufferPointer { po in
                    taps.withUnsafeBufferPointer { pt in
                        let (po, pt) = (po.baseAddress!, pt.baseAddress!)
                        parallelChunks(planes, costPerItem: h * w) { range in
                            maxPool2x2Backward(gradOutput: po + range.lowerBound * oh * ow, taps: pt + range.lowerBound * oh * ow,
                                               planes: range.count, height: h, width: w, into: gIn + range.lowerBound * h * w)
                        }
                    }
                }
            }]
        }
    }


    /// Mean over each window. With `countIncludePad` (PyTorch's default) the zero padding counts
    /// in the divisor; without it only the input elements do.
    public func avgPool2d(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0, countIncludePad: Bool = true) -> Tensor {
        let (planes, window, outShape) = poolGeometry("avgPool2d", kernel, stride, padding, 1)
        let (h, w, oh, ow) = (shape[2], shape[3], outShape[2], outShape[3])
        let out = Tensor.build(outShape) { out in
            storage.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                parallelChunks(planes, costPerItem: h * w) { range in
                    avgPool2dForward(px + range.lowerBound * h * w, planes: range.count, height: h, width: w, window: window,
                                     countIncludePad: countIncludePad, output: out + range.lowerBound * oh * ow)
                }
            }
        }
        let source = shape
        return out.recording("avgPool2d", [self]) { g, _ in
            [Tensor.poolGradient(source, planes, h, w, oh * ow, g) { gOut, range, gIn in
                avgPool2dBackward(gradOutput: gOut, planes: range.count, height: h, width: w, window: window,
                                  countIncludePad: countIncludePad, accumulatingInto: gIn)
            }]
        }
    }


    /// Mean over PyTorch's adaptive bins: output cell i covers ⌊i·H/Ho⌋ ..< ⌈(i+1)·H/Ho⌉.
    public func adaptiveAvgPool2d(outputSize: Size2) -> Tensor {
        guard rank == 4, shape[2] > 0, shape[3] > 0 else { fatalError("adaptiveAvgPool2d: input must be [N, C, H, W] with H, W > 0, got \(shape)") }
        guard outputSize.height > 0 && outputSize.width > 0 else { fatalError("adaptiveAvgPool2d: output size \(outputSize) must be positive") }
        let (planes, h, w, oh, ow) = (shape[0] * shape[1], shape[2], shape[3], outputSize.height, outputSize.width)
        let out = Tensor.build([shape[0], shape[1], oh, ow]) { out in
            storage.withUnsafeBufferPointer { px in
                let px = px.baseAddress!
                parallelChunks(planes, costPerItem: h * w) { range in
                    adaptiveAvgPool2dForward(px + range.lowerBound * h * w, planes: range.count, height: h, width: w,
                                             outHeight: oh, outWidth: ow, output: out + range.lowerBound * oh * ow)
                }
            }
        }
        let source = shape
        return out.recording("adaptiveAvgPool2d", [self]) { g, _ in
            [Tensor.poolGradient(source, planes, h, w, oh * ow, g) { gOut, range, gIn in
                adaptiveAvgPool2dBackward(gradOutput: gOut, planes: range.count, height: h, width: w,
                                          outHeight: oh, outWidth: ow, accumulatingInto: gIn)
            }]
        }
    }

    /// Checks a pooling call and returns the plane count, the window and the output shape.
    private func poolGeometry(_ op: String, _ kernel: Size2, _ stride: Size2?, _ padding: Size2, _ dilation: Size2)
        -> (Int, Window2D, [Int]) {
        guard rank == 4 else { fatalError("\(op): input must be [N, C, H, W], got \(shape)") }
        let stride = stride ?? kernel
        guard kernel.height >= 1, kernel.width >= 1, stride.height >= 1, stride.width >= 1, dilation.height >= 1, dilation.width >= 1 else {
            fatalError("\(op): kernel \(kernel), stride \(stride) and dilation \(dilation) must be ≥ 1")
        }
        guard padding.height >= 0, padding.width >= 0, 2 * padding.height <= kernel.height, 2 * padding.width <= kernel.width else {
            fatalError("\(op): padding \(padding) must be between 0 and half the kernel \(kernel)")
        }
        guard shape[2] * shape[3] <= Int(Int32.max) else { fatalError("\(op): plane \(shape[2])×\(shape[3]) is too large") }
        let window = Window2D(kernelH: kernel.height, kernelW: kernel.width, strideH: stride.height, strideW: stride.width,
                              padH: padding.height, padW: padding.width, dilationH: dilation.height, dilationW: dilation.width)
        let (oh, ow) = window.outputSize(height: shape[2], width: shape[3])
        guard oh > 0 && ow > 0 else { fatalError("\(op): window \(kernel) (dilation \(dilation), padding \(padding)) does not fit input \(shape)") }
        return (shape[0] * shape[1], window, [shape[0], shape[1], oh, ow])
    }

    /// A zero input-gradient filled plane-range by plane-range, in parallel, by `body`.
    private static func poolGradient(
        _ shape: [Int], _ planes: Int, _ h: Int, _ w: Int, _ outPlane: Int, _ g: Tensor,
        _ body: (UnsafePointer<Float>, Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        var grad = [Float](repeating: 0, count: shape.product)
        grad.withUnsafeMutableBufferPointer { pg in
            g.storage.withUnsafeBufferPointer { po in
                let (pg, po) = (pg.baseAddress!, po.baseAddress!)
                parallelChunks(planes, costPerItem: h * w) { range in
                    body(po + range.lowerBound * outPlane, range, pg + range.lowerBound * h * w)
                }
            }
        }
        return Tensor(shape: shape, storage: grad)
    }
}
