/// One way to name a process in a caller filter or a kill list.
public enum CallerMatch: Sendable, Hashable {
    /// A process id.
    case pid(Int32)
    /// A process name (`comm`), compared exactly.
    case name(String)
    /// An executable path, compared exactly.
    case executable(String)

    /// Whether matching needs the resolver (a name or an executable).
    var needsResolver: Bool {
        if case .pid = self { return false }
        return true
    }
}
