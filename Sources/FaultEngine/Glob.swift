/// A path glob compiled once and matched against a path's UTF-8 bytes without allocating.
///
/// Syntax: `*` any run of characters within one segment, `?` one character
/// other than `/`, `[abc]`, `[a-z]` and `[!abc]` one character of (or not of)
/// a set, `**/` zero or more whole segments, and a trailing or lone `**` any
/// rest including `/`. Paths are relative to the mount root; leading slashes
/// on either side are ignored, so `/a/b` and `a/b` are the same path.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(UInt8)
        case one
        case set(ByteSet, negated: Bool)
        case star
        case segments
        case rest
    }

    /// One part of the pattern between slashes: a segment pattern (a range
    /// of `tokens` without slashes), `**/` (zero or more whole segments), or a
    /// trailing `**` (one or more segments, whatever they hold).
    enum Part: Sendable, Hashable {
        case segment(Range<Int>)
        case anySegments
        case rest
    }

    /// The longest pattern accepted, in UTF-8 bytes. Matching costs at most
    /// about (path length x pattern length) byte steps, so this cap, with
    /// PATH_MAX on the path side, keeps every match within a few million
    /// steps, whatever the pattern.
    public static let maximumLength = 1024

    /// The pattern as written.
    public let pattern: String
    let tokens: [Token]
    let parts: [Part]

    /// A glob matching every path.
    public static let everything = try! Glob("**")

    public var description: String { pattern }

    /// Compiles `pattern`.
    /// - Throws: `GlobError` naming what is wrong, e.g. an unclosed `[`.
    public init(_ pattern: String) throws(GlobError) {
        self.pattern = pattern
        guard pattern.utf8.count <= Glob.maximumLength else {
            throw GlobError(pattern: String(pattern.prefix(40)) + "...",
                            problem: "is \(pattern.utf8.count) bytes long; a glob may have at most \(Glob.maximumLength)")
        }
        var bytes = Array(pattern.utf8)
        while bytes.first == UInt8(ascii: "/") { bytes.removeFirst() }
        guard !bytes.isEmpty else { throw GlobError(pattern: pattern, problem: "is empty") }
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "*"):
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                    let atSegmentStart = i == 0 || bytes[i - 1] == UInt8(ascii: "/")
                    let next = i + 2
                    guard atSegmentStart, next == bytes.count || bytes[next] == UInt8(ascii: "/") else {
                        throw GlobError(pattern: pattern, problem: "has `**` inside a segment; `**` must stand alone between slashes")
                    }
                    if next == bytes.count {
                        tokens.append(.rest)
                        i = next
                    } else {
                        tokens.append(.segments)
                        i = next + 1
                    }
                } else {
                    tokens.append(.star)
                    i += 1
                }
            case UInt8(ascii: "?"):
                tokens.append(.one)
                i += 1
            case UInt8(ascii: "["):
                var j = i + 1
                var negated = false
                if j < bytes.count, bytes[j] == UInt8(ascii: "!") || bytes[j] == UInt8(ascii: "^") {
                    negated = true
                    j += 1
                }
                var set = ByteSet()
                var first = true
                while j < bytes.count, bytes[j] != UInt8(ascii: "]") || first {
                    first = false
                    let low = bytes[j]
                    if j + 2 < bytes.count, bytes[j + 1] == UInt8(ascii: "-"), bytes[j + 2] != UInt8(ascii: "]") {
                        let high = bytes[j + 2]
                        guard low <= high else {
                            throw GlobError(pattern: pattern, problem: "has a range that runs backwards in `[...]`")
                        }
                        for b in low...high { set.insert(b) }
                        j += 3
                    } else {
                        set.insert(low)
                        j += 1
                    }
                }
                guard j < bytes.count else {
                    throw GlobError(pattern: pattern, problem: "has a `[` that is never closed by `]`")
                }
                set.remove(UInt8(ascii: "/"))
                tokens.append(.set(set, negated: negated))
                i = j + 1
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else {
                    throw GlobError(pattern: pattern, problem: "ends with a lone backslash")
                }
                tokens.append(.literal(bytes[i + 1]))
                i += 2
            default:
                tokens.append(.literal(byte))
                i += 1
            }
        }
        self.tokens = tokens
        self.parts = Glob.split(tokens)
    }

    /// Cuts the tokens at slashes; `**/` and a trailing `**` always start a
    /// segment (the parser allows them nowhere else), so they are parts of
    /// their own.
    private static func split(_ tokens: [Token]) -> [Part] {
        var parts: [Part] = []
        var start = 0
        for (index, token) in tokens.enumerated() {
            switch token {
            case .literal(UInt8(ascii: "/")):
                parts.append(.segment(start..<index))
                start = index + 1
            case .segments:
                parts.append(.anySegments)
                start = index + 1
            case .rest:
                parts.append(.rest)
                return parts
            default:
                break
            }
        }
        parts.append(.segment(start..<tokens.count))
        return parts
    }

    /// Whether the glob is `**`, which matches every path; lets callers skip matching.
    public var matchesEverything: Bool { tokens == [.rest] }

    /// Whether `path` matches; reads the path's UTF-8 in place and allocates nothing for native strings.
    public func matches(_ path: String) -> Bool {
        if matchesEverything { return true }
        var path = path
        return path.withUTF8 { matches(utf8: $0) }
    }

    /// Whether the UTF-8 bytes of a path match.
    ///
    /// Backtracking-free in the usual sense: `*` inside a segment and `**/`
    /// across segments each keep only their latest position to resume from
    /// (the classic two-pointer wildcard match), so no pattern can make the
    /// work grow faster than (path length x pattern length). The recursive
    /// matcher this replaces took more than ten minutes for `*a` x 25 + `*b`
    /// against a 200-byte name.
    public func matches(utf8 path: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start < path.count, path[start] == UInt8(ascii: "/") { start += 1 }
        return tokens.withUnsafeBufferPointer { tokens in
            parts.withUnsafeBufferPointer { parts in matchParts(parts, tokens, path, from: start) }
        }
    }

    /// Segments of the path run from a start byte to the next slash; the
    /// position after the last one is `path.count + 1`.
    private func matchParts(_ parts: UnsafeBufferPointer<Part>, _ tokens: UnsafeBufferPointer<Token>,
                            _ path: UnsafeBufferPointer<UInt8>, from first: Int) -> Bool {
        let slash = UInt8(ascii: "/")
        func end(_ s: Int) -> Int {
            var e = s
            while e < path.count, path[e] != slash { e += 1 }
            return e
        }
        var p = 0
        var s = first
        var resumePart = -1
        var resumeSegment = 0
        while s <= path.count {
            if p < parts.count {
                switch parts[p] {
                case .anySegments:
                    resumePart = p
                    resumeSegment = s
                    p += 1
                    continue
                case .rest:
                    return true
                case .segment(let range):
                    let e = end(s)
                    if matchSegment(tokens, range, path, s, e) {
                        p += 1
                        s = e + 1
                        continue
                    }
                }
            }
            guard resumePart >= 0 else { return false }
            // Let the latest `**/` take one more segment, and retry after it.
            p = resumePart + 1
            resumeSegment = end(resumeSegment) + 1
            s = resumeSegment
        }
        while p < parts.count, parts[p] == .anySegments { p += 1 }
        return p == parts.count
    }

    /// Whether one segment (no slash in it) matches the tokens in `range`.
    private func matchSegment(_ tokens: UnsafeBufferPointer<Token>, _ range: Range<Int>,
                              _ path: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var t = range.lowerBound
        var s = start
        var starToken = -1
        var starByte = 0
        while s < end {
            if t < range.upperBound {
                switch tokens[t] {
                case .star:
                    starToken = t
                    starByte = s
                    t += 1
                    continue
                case .literal(let byte) where path[s] == byte:
                    t += 1
                    s += 1
                    continue
                case .one:
                    t += 1
                    s += 1
                    continue
                case .set(let set, let negated) where set.contains(path[s]) != negated:
                    t += 1
                    s += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            // Let the latest `*` take one more byte, and retry after it.
            t = starToken + 1
            starByte += 1
            s = starByte
        }
        while t < range.upperBound, tokens[t] == .star { t += 1 }
        return t == range.upperBound
    }
}

/// A 256-bit set of bytes, stored inline so a glob token needs no heap storage.
struct ByteSet: Sendable, Hashable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func remove(_ byte: UInt8) {
        let mask = ~(UInt64(1) << UInt64(byte & 63))
        switch byte >> 6 {
        case 0: words.0 &= mask
        case 1: words.1 &= mask
        case 2: words.2 &= mask
        default: words.3 &= mask
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }
}

/// Why a glob does not compile.
public struct GlobError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public var pattern: String
    /// What is wrong, as the end of a sentence starting with the pattern.
    public var problem: String

    public var description: String { "the glob \"\(pattern)\" \(problem)." }
}
