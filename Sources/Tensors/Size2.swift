/// A (height, width) pair for window arguments, written `3` (both) or `[3, 2]`, like PyTorch's
/// int-or-tuple parameters.
public struct Size2: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) { (self.height, self.width) = (height, width) }
    public init(integerLiteral value: Int) { self.init(value, value) }
    public init(arrayLiteral elements: Int...) {
        guard elements.count == 2 else { fatalError("Size2: expected [height, width], got \(elements)") }
        self.init(elements[0], elements[1])
    }

    public var description: String { "[\(height), \(width)]" }
}
