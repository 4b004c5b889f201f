/// Stops with `message` when `condition` is false, in every build configuration (unlike
/// `precondition`, which the release flag `-Ounchecked` removes): API misuse is a programming error.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
