import Foundation
import Testing
import Tensors
@testable import NN

@Suite("ModelSpec")
struct ModelSpecTests {
    @Test func yamlRoundTrip() throws {
        for spec in [ModelSpec.referenceMLP, ModelSpec.referenceCNN] {
            #expect(try ModelSpec.parse(yaml: spec.yaml()) == spec)
        }
        let rich = try ModelSpec.parse(yaml: """
            name: rich
            input: [3, 16, 16]
            trunk:
              - conv2d: {out: 8, kernel: [3, 5], stride: 2, padding: [1, 2], dilation: 1, groups: 1, bias: false}
              - batchnorm2d
              - leaky_relu: {slope: 0.2}
              - avgpool2d: {kernel: 2, count_include_pad: false}
              - adaptive_avgpool2d: {output: [2, 2]}
              - flatten
              - dropout: {p: 0.1}
              - linear: {out: 7}
              - gelu: {approximate: tanh}
            heads:
              b: [{linear: {out: 1}}, sigmoid]
              a: [tanh, {linear: {out: 3, bias: false}}]
            """)
        #expect(try ModelSpec.parse(yaml: rich.yaml()) == rich)
        #expect(rich.heads.map(\.task) == ["b", "a"])  // YAML order is kept
        #expect(try rich.featureShape() == [7])
        let model = try rich.build(seed: 0)
        #expect(model.parameters()["trunk.7.weight"]!.shape == [7, 32])  // inferred in_features
        #expect(model.parameters()["trunk.0.weight"]!.shape == [8, 3, 3, 5])
    }

    @Test("errors name the field", arguments: [
        ("input: [784]\ntrunk: [{linear: {in: 100, out: 10}}]\nheads: {a: [relu]}", "trunk[0]", "100 input features"),
        ("input: [784]\ntrunk: [{lineer: {out: 10}}]\nheads: {a: [relu]}", "trunk[0]", "unknown layer 'lineer'"),
        ("input: [784]\ntrunk: [{linear: {out: 10, kernal: 3}}]\nheads: {a: [relu]}", "trunk[0].linear.kernal", "unknown key"),
        ("input: [784]\ntrunk: [{linear: {in: 784}}]\nheads: {a: [relu]}", "trunk[0].linear.out", "missing"),
        ("input: [784]\ntrunk: [{linear: {out: -1}}]\nheads: {a: [relu]}", "trunk[0].linear.out", "integer ≥ 1"),
        ("input: [1, 28, 28]\ntrunk: [{conv2d: {out: 4, kernel: 40}}]\nheads: {a: [relu]}", "trunk[0]", "does not fit"),
        ("input: [784]\ntrunk: [relu]\nheads: {a: [{conv2d: {out: 2, kernel: 3}}]}", "heads.a[0]", "[C, H, W]"),
        ("trunk: [relu]\nheads: {a: [relu]}", "input", "missing"),
        ("input: [784]\ntrunk: [relu]", "heads", "missing"),
        ("input: [784]\ntrunk: relu\nheads: {a: [relu]}", "trunk", "list of layers"),
        ("input: [784\n", "", "not valid YAML"),
    ])
    func errors(yaml: String, path: String, message: String) {
        do {
            _ = try ModelSpec.parse(yaml: yaml, source: "spec.yaml")
            Issue.record("expected an error at \(path)")
        } catch let error as ModelSpecError {
            #expect(error.path == path && error.message.contains(message) && error.source == "spec.yaml", "\(error)")
            #expect(error.description.hasPrefix("spec.yaml: "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func duplicateHeadsAndMissingFile() throws {
        let spec = ModelSpec(name: "dup", input: [2], trunk: [], heads: [.init(task: "a", layers: []), .init(task: "a", layers: [])])
        #expect(throws: ModelSpecError.self) { try spec.build(seed: 0) }
        #expect { try ModelSpec.load(URL(fileURLWithPath: "/nonexistent/spec.yaml")) } throws: { error in
            "\(error)".contains("/nonexistent/spec.yaml")
        }
    }
}
