import Foundation

/// Where the real Fashion-MNIST is installed (Debian's dataset-fashion-mnist, which `make test`
/// installs; tests that need it are skipped, with that reason, where it is missing).
public let realFashionMNIST = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

/// Whether the real Fashion-MNIST files are present.
public let hasRealFashionMNIST = FileManager.default.fileExists(atPath: realFashionMNIST.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path)
