/// A contiguous, ARC-free summary of the armed rules that rejects most calls
/// before any rule is looked at: each rule's operation mask and the literal
/// bytes its glob starts with.
///
/// With 100 armed rules that match nothing, `decide` and `targets` are on the
/// FUSE hot path for every call; walking `ArmedRule` values costs retains and
/// releases per rule, while this is a scan of a few integers and bytes.
///
/// Its loops run over indices, not `for entry in entries`: a debug build
/// iterates an array through unspecialised generic code that allocates on
/// every element, and engine-alloc-probe checks the debug build `make test`
/// builds for allocations.
struct RulePrefilter: Sendable {
    struct Entry: Sendable {
        var operations: UInt64
        var start: Int
        var count: Int
    }

    private(set) var entries: [Entry] = []
    private var bytes: [UInt8] = []

    init() {}

    init(_ rules: [ArmedRule]) {
        for rule in rules {
            let prefix = rule.rule.path.literalPrefix
            entries.append(Entry(operations: rule.operations.rawValue, start: bytes.count, count: prefix.count))
            bytes += prefix
        }
    }

    /// Whether rule `index` can match `op` on `path` (leading slashes already
    /// skipped); false means it certainly cannot.
    @inline(__always)
    func mayMatch(_ index: Int, operations op: UInt64?, path: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        let entry = entries[index]
        if let op, entry.operations & op == 0 { return false }
        if entry.count == 0 { return true }
        if path.count - start < entry.count { return false }
        return bytes.withUnsafeBufferPointer { prefix in
            for i in 0..<entry.count where prefix[entry.start + i] != path[start + i] { return false }
            return true
        }
    }

    /// The union of the operation masks of the rules that may match some
    /// path starting with `base` (a directory's path and a slash): those of
    /// the rules whose literal start and `base` agree as far as the shorter
    /// of them goes.
    func operations(below base: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var start = 0
        while start < base.count, base[start] == UInt8(ascii: "/") { start += 1 }
        let length = base.count - start
        return bytes.withUnsafeBufferPointer { prefix in
            var union: UInt64 = 0
            for index in entries.indices {
                let entry = entries[index]
                var agree = true
                for i in 0..<min(entry.count, length) where prefix[entry.start + i] != base[start + i] {
                    agree = false
                    break
                }
                if agree { union |= entry.operations }
            }
            return union
        }
    }

    /// Whether any rule may match (any operation).
    func anyMayMatch(path: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start < path.count, path[start] == UInt8(ascii: "/") { start += 1 }
        for index in entries.indices where mayMatch(index, operations: nil, path: path, from: start) { return true }
        return false
    }
}

extension Glob {
    /// The bytes every matching path starts with (up to the first wildcard).
    var literalPrefix: [UInt8] {
        var prefix: [UInt8] = []
        for token in tokens {
            guard case .literal(let byte) = token else { break }
            prefix.append(byte)
        }
        return prefix
    }
}
