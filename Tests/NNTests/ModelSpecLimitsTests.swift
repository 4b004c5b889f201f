import Foundation
import Testing
import Tensors
@testable import NN

/// Adversarial specs: sizes that would abort an allocation or overflow shape arithmetic must be
/// errors that name the field and, for sizes, the memory they would need.
@Suite("ModelSpec limits")
struct ModelSpecLimitsTests {
    /// The error parsing `yaml` throws, or nil (recording an issue) when it parses.
    func specError(_ yaml: String) -> ModelSpecError? {
        do {
            _ = try ModelSpec.parse(yaml: yaml, source: "spec.yaml")
            Issue.record("expected an error for:\n\(yaml)")
        } catch let error as ModelSpecError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test("sizes too large for memory name the field and the memory", arguments: [
        ("input: [784]\ntrunk: [{linear: {out: 1000000000}}]\nheads: {a: [relu]}", "trunk[0].linear.out", "2.9 TiB for its weights"),
        ("input: [784]\ntrunk: [relu]\nheads: {a: [{linear: {out: 1000000000}}]}", "heads.a[0].linear.out", "2.9 TiB for its weights"),
        ("input: [1, 28, 28]\ntrunk: [{conv2d: {out: 8, kernel: 3, padding: 1000000000}}]\nheads: {a: [relu]}", "trunk[0].conv2d.padding", "would need"),
        ("input: [1, 28, 28]\ntrunk: [{conv2d: {out: 8, kernel: 3, padding: 3000000000}}]\nheads: {a: [relu]}", "trunk[0].conv2d.padding", "would need"),
        ("input: [1, 28, 28]\ntrunk: [{conv2d: {out: 1000000000, kernel: 3}}]\nheads: {a: [relu]}", "trunk[0].conv2d.out", "for its weights"),
        ("input: [3, 8, 8]\ntrunk: [{conv2d: {out: 2, kernel: [1, 1000000000], padding: [0, 500000000]}}]\nheads: {a: [relu]}", "trunk[0].conv2d.kernel", "for its weights"),
        ("input: [2, 4, 4]\ntrunk: [{adaptive_avgpool2d: {output: [4000000000, 4000000000]}}, flatten]\nheads: {a: [relu]}", "trunk[0].adaptive_avgpool2d.output", "would need"),
        ("input: [1, 100000, 100000]\ntrunk: [relu]\nheads: {a: [relu]}", "input", "one example"),
    ])
    func tooLarge(yaml: String, path: String, message: String) {
        guard let error = specError(yaml) else { return }
        #expect(error.path == path && error.message.contains(message) && error.message.contains("limit: "), "\(error)")
        #expect(error.description.hasPrefix("spec.yaml: \(path): "))
    }

    @Test("shape arithmetic that would overflow is an error", arguments: [
        ("trunk: [{conv2d: {out: 8, kernel: 3, padding: 9223372036854775807}}]", "trunk[0].conv2d.padding", "larger than can be addressed"),
        ("trunk: [{conv2d: {out: 8, kernel: 3, padding: 4611686018427387904}}]", "trunk[0].conv2d.padding", "larger than can be addressed"),
        ("trunk: [{conv2d: {out: 8, kernel: 3, dilation: 9223372036854775807}}]", "trunk[0].conv2d.dilation", "larger than can be addressed"),
        ("trunk: [{maxpool2d: {kernel: 2, padding: 9223372036854775807}}]", "trunk[0].maxpool2d.padding", "at most half the kernel"),
        ("trunk: [{linear: {out: 99999999999999999999}}]", "trunk[0].linear.out", "too large"),
        // YAML 1.1 sexagesimal: Yams computes 60¹¹ and traps on the overflow.
        ("trunk: [{linear: {out: 1:0:0:0:0:0:0:0:0:0:0:0}}]", "trunk[0].linear.out", "expected an integer"),
        ("trunk: [{conv2d: {out: 2, kernel: 1:0:0:0:0:0:0:0:0:0:0:3}}]", "trunk[0].conv2d.kernel", "expected an integer"),
    ])
    func overflow(trunk: String, path: String, message: String) {
        guard let error = specError("input: [1, 28, 28]\n\(trunk)\nheads: {a: [relu]}") else { return }
        #expect(error.path == path && error.message.contains(message), "\(error)")
    }

    @Test("zero and negative sizes are errors", arguments: [
        ("trunk: [{linear: {out: 0}}, flatten]", "trunk[0].linear.out"),
        ("trunk: [{conv2d: {out: 2, kernel: 0}}]", "trunk[0].conv2d.kernel"),
        ("trunk: [{conv2d: {out: 2, kernel: 3, stride: 0}}]", "trunk[0].conv2d.stride"),
        ("trunk: [{conv2d: {out: 2, kernel: 3, padding: -1}}]", "trunk[0].conv2d.padding"),
        ("trunk: [{conv2d: {out: 2, kernel: 3, dilation: [1, 0]}}]", "trunk[0].conv2d.dilation[1]"),
        ("trunk: [{maxpool2d: {kernel: 2, stride: -2}}]", "trunk[0].maxpool2d.stride"),
        ("trunk: [{adaptive_avgpool2d: {output: 0}}]", "trunk[0].adaptive_avgpool2d.output"),
    ])
    func nonPositive(trunk: String, path: String) {
        guard let error = specError("input: [1, 28, 28]\n\(trunk)\nheads: {a: [relu]}") else { return }
        #expect(error.path == path && error.message.contains("expected an integer ≥"), "\(error)")
    }

    @Test func octalLookingIntegersAreDecimal() throws {
        // Yams reads `010` as octal 8; a spec means ten.
        let spec = try ModelSpec.parse(yaml: "input: [784]\ntrunk: [{linear: {out: 010}}]\nheads: {a: [relu]}")
        #expect(try spec.featureShape() == [10])
    }

    /// A spec made in code skips the YAML reader, so `LayerSpec`'s own checks must catch what
    /// would trap later: a zero divisor, a dropout probability outside [0, 1), an empty output.
    @Test("settings of a spec made in code are checked", arguments: [
        (LayerSpec.conv2d(in: nil, out: 4, kernel: 3, stride: 1, padding: 0, dilation: 1, groups: 0, bias: true), "trunk[0].conv2d.groups"),
        (.conv2d(in: nil, out: 4, kernel: 3, stride: 0, padding: 0, dilation: 1, groups: 1, bias: true), "trunk[0].conv2d.stride"),
        (.conv2d(in: nil, out: 4, kernel: 3, stride: 1, padding: -1, dilation: 1, groups: 1, bias: true), "trunk[0].conv2d.padding"),
        (.linear(in: nil, out: 0, bias: true), "trunk[0].linear.out"),
        (.maxPool2d(kernel: 0, stride: nil, padding: 0), "trunk[0].maxpool2d.kernel"),
        (.adaptiveAvgPool2d(Size2(0, 2)), "trunk[0].adaptive_avgpool2d.output"),
        (.dropout(1.5), "trunk[0].dropout.p"),
        (.leakyRelu(slope: .nan), "trunk[0].leaky_relu.slope"),
        (.batchNorm2d(features: -1), "trunk[0].batchnorm2d.features"),
    ])
    func codeSpecSettings(layer: LayerSpec, path: String) {
        let spec = ModelSpec(name: "coded", input: [4, 8, 8], trunk: [layer], heads: [.init(task: "a", layers: [])])
        #expect { try spec.build(seed: 0) } throws: { error in
            (error as? ModelSpecError)?.path == path
        }
    }

    @Test func inputExtentsMustBePositive() {
        let spec = ModelSpec(name: "coded", input: [0, 28], trunk: [], heads: [.init(task: "a", layers: [])])
        #expect { try spec.build(seed: 0) } throws: { error in
            (error as? ModelSpecError)?.path == "input"
        }
    }

    @Test func totalParametersOverTheLimitNameTheLargestLayer() {
        // Two heads, each 60% of the budget: every layer fits, the model does not.
        let out = Int(0.6 * Double(SpecLimits.parameterBytes) / 4 / 1024)
        let head = [LayerSpec.linear(in: nil, out: out, bias: false)]
        let spec = ModelSpec(name: "wide", input: [1024], trunk: [.relu], heads: [.init(task: "a", layers: head), .init(task: "b", layers: head)])
        #expect { try spec.outputShapes() } throws: { error in
            guard let error = error as? ModelSpecError else { return false }
            return error.path == "heads.a[0].linear" && error.message.contains("parameters would need") && error.message.contains("limit: ")
        }
    }

    @Test func referenceModelsAndOrdinarySpecsStillBuild() throws {
        #expect(try ModelSpec.referenceCNN.build(seed: 0).parameters().scalarCount > 0)
        #expect(try ModelSpec.referenceMLP.outputShapes().map(\.shape) == [[10], [2]])
        // Padding that grows the output a little, a dilated kernel and a pool are ordinary.
        let spec = try ModelSpec.parse(yaml: """
            input: [3, 32, 32]
            trunk:
              - conv2d: {out: 16, kernel: 3, padding: 4, dilation: 2}
              - maxpool2d: {kernel: 3, stride: 2, padding: 1}
              - flatten
            heads: {a: [{linear: {out: 5}}]}
            """)
        #expect(try spec.featureShape() == [16 * 18 * 18])
    }

    @Test func messagesShowBinaryUnits() {
        #expect(SpecLimits.bytesText(512) == "512 bytes")
        #expect(SpecLimits.bytesText(1536) == "1.5 KiB")
        #expect(SpecLimits.floatsText(1_000_000_000) == "3.7 GiB")
        #expect(SpecLimits.bytesText(16 * 1024 * 1024 * 1024) == "16.0 GiB")
    }
}
