import Data
import NN
import Tensors

/// One task of a multi-task model: its name, what it predicts, and the loss that trains its head.
public struct TaskSpec: Sendable, Equatable {
    public var name: String
    public var kind: TaskKind
    public var loss: TaskLoss

    public init(name: String, kind: TaskKind, loss: TaskLoss? = nil) {
        self.name = name
        self.kind = kind
        self.loss = loss ?? TaskLoss.default(for: kind)
    }

    /// Head outputs this task needs: C logits, 2 logits (binary with cross-entropy), 1 logit
    /// (binary with BCE) or 1 value (regression).
    public var outputs: Int {
        switch (kind, loss) {
        case (.multiclass(let classes), _): classes
        case (.binary, .crossEntropy): 2
        default: 1
        }
    }

    /// The task's loss on a batch; examples whose label is NaN (missing) are left out.
    public func loss(_ output: Tensor, _ labels: Tensor) -> Tensor {
        let present = labels.scalars.map { $0.isNaN ? Float(0) : 1 }
        let count = present.reduce(0, +)
        switch loss {
        case .crossEntropy:
            let targets = Tensor(labels.scalars.map { $0.isNaN ? -100 : $0 })
            return count == 0 ? (output * 0).sum() : Loss.crossEntropy(output, targets)
        case .binaryCrossEntropy, .mse, .l1, .huber:
            let mask = Tensor(present).reshaped([-1, 1])
            let targets = Tensor(labels.scalars.map { $0.isNaN ? 0 : $0 }).reshaped([-1, 1])
            let perExample: Tensor
            switch loss {
            case .binaryCrossEntropy: perExample = Loss.binaryCrossEntropyWithLogits(output, targets, reduction: .none)
            case .mse: perExample = Loss.mse(output, targets, reduction: .none)
            case .l1: perExample = Loss.l1(output, targets, reduction: .none)
            case .huber(let delta): perExample = Loss.huber(output, targets, delta: delta, reduction: .none)
            case .crossEntropy: fatalError("unreachable")
            }
            return (perExample * mask).sum() / Swift.max(count, 1)
        }
    }
}

/// The training loss of a task's head.
public enum TaskLoss: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Softmax cross-entropy over C (or 2) logits.
    case crossEntropy
    /// Sigmoid binary cross-entropy on one logit.
    case binaryCrossEntropy
    case mse, l1
    case huber(delta: Float)

    /// Cross-entropy for classification (2 logits for binary, like the reference models), MSE for regression.
    public static func `default`(for kind: TaskKind) -> TaskLoss {
        switch kind {
        case .multiclass, .binary: .crossEntropy
        case .regression: .mse
        }
    }

    public var description: String {
        switch self {
        case .crossEntropy: "cross-entropy"
        case .binaryCrossEntropy: "bce"
        case .mse: "mse"
        case .l1: "l1"
        case .huber(let delta): "huber(\(delta))"
        }
    }
}
