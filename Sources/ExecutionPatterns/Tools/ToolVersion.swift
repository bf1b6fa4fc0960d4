/// A dotted version number, compared component by component (missing components count as 0).
public struct ToolVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let components: [Int]

    /// Parses "2.43.0"; nil if the text is not a dotted number.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Int($0) }
        guard !parts.isEmpty, numbers.count == parts.count else { return nil }
        components = numbers
    }

    /// The first dotted number in a tool's `--version` output ("git version 2.43.0" gives 2.43.0).
    public init?(findingIn output: String) {
        var current = ""
        for ch in output + " " {
            if ch.isASCII && (ch.isNumber || (ch == "." && !current.isEmpty && current.last != ".")) {
                current.append(ch)
            } else if !current.isEmpty {
                while current.last == "." { current.removeLast() }
                if current.contains("."), let v = ToolVersion(current) { self = v; return }
                current = ""
            }
        }
        return nil
    }

    public static func < (a: ToolVersion, b: ToolVersion) -> Bool {
        for i in 0..<max(a.components.count, b.components.count) {
            let x = i < a.components.count ? a.components[i] : 0
            let y = i < b.components.count ? b.components[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: ToolVersion, b: ToolVersion) -> Bool { !(a < b) && !(b < a) }

    public func hash(into h: inout Hasher) {
        var c = components
        while c.last == 0 { c.removeLast() }
        h.combine(c)
    }

    public var description: String { components.map(String.init).joined(separator: ".") }
}
