/// Which callers a rule applies to: all, or those in `include`, less those in `exclude`.
///
/// Harnesses exclude themselves and the oracle so that only the workload is faulted.
/// Name and executable entries need the engine's `CallerResolver`; without one
/// (or once the process is gone) they match no caller, so an `include` by name
/// admits nobody and an `exclude` by name excludes nobody.
public struct CallerFilter: Sendable, Hashable {
    /// If not empty, only callers matching one of these.
    public var include: [CallerMatch]
    /// Never callers matching one of these.
    public var exclude: [CallerMatch]

    /// Creates a filter; the default admits every caller.
    public init(include: [CallerMatch] = [], exclude: [CallerMatch] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// Whether the filter admits every caller, so matching can be skipped.
    public var admitsAll: Bool { include.isEmpty && exclude.isEmpty }

    /// Whether `caller` passes; asks the resolver only for name or executable entries, at most once each.
    func admits(_ caller: Caller, resolver: (any CallerResolver)?) -> Bool {
        if admitsAll { return true }
        var lookup = CallerLookup(pid: caller.pid, resolver: resolver)
        if !include.isEmpty, !lookup.matchesAny(include) { return false }
        return !lookup.matchesAny(exclude)
    }
}

/// Resolves a caller's name and executable lazily, once per call.
struct CallerLookup {
    let pid: Int32
    let resolver: (any CallerResolver)?
    private var name: String??
    private var executable: String??

    init(pid: Int32, resolver: (any CallerResolver)?) {
        self.pid = pid
        self.resolver = resolver
    }

    /// Whether the caller matches one of `matches`.
    ///
    /// An index loop, not `contains(where:)`: a debug build iterates an array
    /// through unspecialised generic code that allocates on every element,
    /// and this runs on every call that matched a filtered rule's path and
    /// operations; engine-alloc-probe checks the debug build for allocations.
    mutating func matchesAny(_ matches: [CallerMatch]) -> Bool {
        for index in matches.indices where self.matches(matches[index]) { return true }
        return false
    }

    mutating func matches(_ match: CallerMatch) -> Bool {
        switch match {
        case .pid(let p):
            return p == pid
        case .name(let wanted):
            if name == nil { name = .some(resolver?.name(of: pid)) }
            return name! == wanted
        case .executable(let wanted):
            if executable == nil { executable = .some(resolver?.executable(of: pid)) }
            return executable! == wanted
        }
    }
}
