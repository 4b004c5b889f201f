import Foundation

/// A smoke example of the whole engine: a 2-16-2 MLP fitted by plain gradient descent to two
/// noisy interleaved half-moons, using only `Tensor` ops and `valueAndGradient`.
public enum TinyMLPDemo {
    public struct Result: Sendable { public let finalLoss: Float; public let accuracy: Float }

    public static func run(seed: UInt64, steps: Int, learningRate: Float = 0.5, report: (Int, Float) -> Void = { _, _ in }) -> Result {
        var rng = RandomGenerator(seed: seed)
        let n = 256
        var points: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let label = i % 2
            let angle = Float.pi * rng.nextUniform()
            let (x, y) = label == 0 ? (cosf(angle), sinf(angle)) : (1 - cosf(angle), 0.5 - sinf(angle))
            points += [x + 0.1 * rng.nextNormal(), y + 0.1 * rng.nextNormal()]
            labels.append(label)
        }
        let inputs = Tensor(shape: [n, 2], scalars: points)
        let targets = Tensor.oneHot(labels, classes: 2)
        var params = [
            Tensor.normal([16, 2], std: 0.7, using: &rng), Tensor.zeros([16]),
            Tensor.normal([2, 16], std: 0.25, using: &rng), Tensor.zeros([2]),
        ]
        func logits(_ p: [Tensor]) -> Tensor {
            let hidden = (Tensor.matmul(inputs, p[0], transposeB: true) + p[1]).tanh()
            return Tensor.matmul(hidden, p[2], transposeB: true) + p[3]
        }
        var loss: Float = 0
        for step in 0..<steps {
            let (value, grads) = valueAndGradient(at: params) { p in
                -(logits(p).logSoftmax(alongAxis: 1) * targets).sum(alongAxis: 1).mean()
            }
            loss = value.scalar
            report(step, loss)
            for i in params.indices { params[i] -= grads[i] * learningRate }
        }
        let predicted = withoutGradients { logits(params).argmax(alongAxis: 1) }
        let correct = zip(predicted.scalars, labels).filter { Int($0) == $1 }.count
        return Result(finalLoss: loss, accuracy: Float(correct) / Float(n))
    }
}
