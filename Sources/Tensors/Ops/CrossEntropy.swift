import Foundation

/// Fused softmax cross-entropy: one pass forward, one backward, one graph node.
extension Tensor {
    /// Per-example losses ℓᵢ = (1−ε)·w_{yᵢ}·(−log pᵢ,yᵢ) + (ε/C)·Σ_c w_c·(−log pᵢc) for logits [N, C],
    /// with p = softmax over classes, labels yᵢ (a negative label marks an ignored example, whose
    /// loss is 0), optional class weights w (default 1) and label smoothing ε. Summing ℓ and dividing
    /// by Σᵢ w_{yᵢ} over kept examples gives PyTorch's `cross_entropy` mean.
    /// Gradient: ∂ℓᵢ/∂xᵢc = (1−ε)·w_{yᵢ}·(pᵢc − [c = yᵢ]) + (ε/C)·(pᵢc·Σw − w_c).
    public static func softmaxCrossEntropy(_ logits: Tensor, labels: [Int], classWeights: [Float]? = nil, labelSmoothing: Float = 0) -> Tensor {
        guard logits.rank == 2, labels.count == logits.shape[0] else {
            shapeError("softmaxCrossEntropy", logits.shape, [labels.count], "expected logits [N, C] and one label per row")
        }
        let (n, classes) = (logits.shape[0], logits.shape[1])
        if let classWeights, classWeights.count != classes { shapeError("softmaxCrossEntropy", logits.shape, [classWeights.count], "need one weight per class") }
        for (i, y) in labels.enumerated() where y >= classes {
            fatalError("softmaxCrossEntropy: label \(y) at row \(i) is outside 0..<\(classes)")
        }
        let eps = labelSmoothing
        let weightSum = classWeights.map { $0.reduce(0, +) } ?? Float(classes)
        let logp = logits.detached().logSoftmax(alongAxis: 1).storage
        let losses = Tensor.build([n]) { out in
            for i in 0..<n {
                let y = labels[i]
                guard y >= 0 else { out[i] = 0; continue }
                var loss = (1 - eps) * (classWeights?[y] ?? 1) * -logp[i * classes + y]
                if eps > 0 {
                    var smooth: Float = 0
                    for c in 0..<classes { smooth += (classWeights?[c] ?? 1) * -logp[i * classes + c] }
                    loss += eps / Float(classes) * smooth
                }
                out[i] = loss
            }
        }
        return losses.recording("softmaxCrossEntropy", [logits]) { g, _ in
            [Tensor.build([n, classes]) { d in
                for i in 0..<n {
                    let y = labels[i], gi = g.storage[i], row = d + i * classes
                    guard y >= 0 && gi != 0 else { row.update(repeating: 0, count: classes); continue }
                    let scale = (1 - eps) * (classWeights?[y] ?? 1)
                    for c in 0..<classes {
                        let p = Foundation.exp(logp[i * classes + c])
                        var grad = scale * p
                        if eps > 0 { grad += eps / Float(classes) * (p * weightSum - (classWeights?[c] ?? 1)) }
                        row[c] = gi * grad
                    }
                    row[y] -= gi * scale
                }
            }]
        }
    }
}
