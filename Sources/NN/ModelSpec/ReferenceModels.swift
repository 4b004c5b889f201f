/// The two reference models of the benchmarks and PyTorch fixtures, as specs.
extension ModelSpec {
    /// Linear 784→100, ReLU; heads class (10-way) and parity (2-way). Input: flattened 28×28 images.
    public static let referenceMLP = try! ModelSpec.parse(yaml: """
        name: reference-mlp
        input: [784]
        trunk:
          - linear: {in: 784, out: 100}
          - relu
        heads:
          class: [{linear: {in: 100, out: 10}}]
          parity: [{linear: {in: 100, out: 2}}]
        """, source: "reference-mlp")

    /// conv 1→32 3×3 p1, ReLU, maxpool 2, conv 32→64 3×3 p1, ReLU, maxpool 2, flatten, Linear
    /// 3136→128, ReLU; heads class (10), footwear (2), upper (2). Input: [1, 28, 28].
    public static let referenceCNN = try! ModelSpec.parse(yaml: """
        name: reference-cnn
        input: [1, 28, 28]
        trunk:
          - conv2d: {in: 1, out: 32, kernel: 3, padding: 1}
          - relu
          - maxpool2d: {kernel: 2}
          - conv2d: {in: 32, out: 64, kernel: 3, padding: 1}
          - relu
          - maxpool2d: {kernel: 2}
          - flatten
          - linear: {in: 3136, out: 128}
          - relu
        heads:
          class: [{linear: {in: 128, out: 10}}]
          footwear: [{linear: {in: 128, out: 2}}]
          upper: [{linear: {in: 128, out: 2}}]
        """, source: "reference-cnn")

    /// Built-in specs by name.
    public static let builtIn: [String: ModelSpec] = ["reference-mlp": referenceMLP, "reference-cnn": referenceCNN]
}
