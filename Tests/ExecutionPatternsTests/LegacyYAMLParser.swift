// The hand-written YAML reader that ExecutionPatterns used before it read YAML
// with Yams (issue 10), kept only so that YAMLCorpusTests can check that the
// Yams-based reader agrees with it wherever it was right.
import ExecutionPatterns

/// A parser for the YAML that configuration files use, reporting the line and column of problems.
///
/// Supported: block mappings and sequences, plain, single- and
/// double-quoted scalars, one-line flow collections (`[a, b]`, `{a: 1}`),
/// literal and folded block scalars (`|`, `>`), comments, one `---` document.
/// Anchors, aliases, tags, multi-line flow collections and several
/// documents are refused with a clear message rather than misread: a
/// validator that guesses is worse than one that says "not supported".
struct LegacyYAMLParser {
    private struct Line {
        var physical: Int
        /// Byte offset of the first content byte in the file.
        var offset: Int
        var indent: Int
        var content: [UInt8]
        /// Byte offset of a tab found in the indentation, if any.
        var tabOffset: Int?
    }

    private let bytes: [UInt8]
    /// Each physical line: (start offset, bytes without the newline or a trailing CR).
    private var physical: [(start: Int, bytes: [UInt8])] = []
    private var lines: [Line] = []
    private var pos = 0
    private var depth = 0
    static let maximumDepth = 256

    static func parse(_ bytes: [UInt8], start: Int = 0) -> Result<YAMLNode, ParseProblem> {
        var p = LegacyYAMLParser(bytes: bytes)
        do {
            try p.split(from: start)
            return .success(try p.document())
        } catch let e as ParseProblem {
            return .failure(e)
        } catch {
            return .failure(ParseProblem("\(error)", offset: nil))
        }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let hash = UInt8(ascii: "#")
    private static let colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-")

    private mutating func split(from start: Int) throws {
        var lineStart = start
        var i = start
        while i <= bytes.count {
            if i == bytes.count || bytes[i] == 0x0A {
                var line = Array(bytes[lineStart..<i])
                if line.last == 0x0D { line.removeLast() }
                if !(i == bytes.count && line.isEmpty) { physical.append((lineStart, line)) }
                lineStart = i + 1
            }
            i += 1
        }
        var sawDocumentStart = false
        var sawContent = false
        for (n, raw) in physical.enumerated() {
            var indent = 0
            var tabOffset: Int?
            var k = 0
            while k < raw.bytes.count, raw.bytes[k] == Self.space || raw.bytes[k] == Self.tab {
                if raw.bytes[k] == Self.tab, tabOffset == nil { tabOffset = raw.start + k }
                if raw.bytes[k] == Self.space, tabOffset == nil { indent += 1 }
                k += 1
            }
            let content = Self.stripComment(Array(raw.bytes[k...]))
            if content.isEmpty { continue }
            if indent == 0 && tabOffset == nil {
                if content.starts(with: Array("---".utf8)) && (content.count == 3 || content[3] == Self.space) {
                    if sawDocumentStart || sawContent {
                        throw ParseProblem("a second YAML document ('---') is not supported; split it into separate files", offset: raw.start)
                    }
                    if content.count > 3 { throw ParseProblem("content on the '---' line is not supported", offset: raw.start + 4) }
                    sawDocumentStart = true
                    continue
                }
                if content == Array("...".utf8) { break }
                if content.first == UInt8(ascii: "%") { throw ParseProblem("YAML directives ('%') are not supported", offset: raw.start) }
            }
            sawContent = true
            lines.append(Line(physical: n, offset: raw.start + k, indent: indent, content: content, tabOffset: tabOffset))
        }
    }

    /// Removes a trailing comment (a '#' at the start or after a blank, outside quotes) and trailing blanks.
    private static func stripComment(_ s: [UInt8]) -> [UInt8] {
        var quote: UInt8? = nil
        var i = 0
        var end = s.count
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if q == UInt8(ascii: "\""), c == UInt8(ascii: "\\") { i += 2; continue }
                if c == q { quote = nil }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                // A quote opens a quoted scalar only where a scalar can start.
                var j = i - 1
                while j >= 0, s[j] == space { j -= 1 }
                if j < 0 || [colon, dash, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "?")].contains(s[j]) { quote = c }
            } else if c == hash, i == 0 || s[i - 1] == space || s[i - 1] == tab {
                end = i
                break
            }
            i += 1
        }
        while end > 0, s[end - 1] == space || s[end - 1] == tab { end -= 1 }
        return Array(s[0..<end])
    }

    private func isLastLine(_ line: Line) -> Bool { line.physical == physical.count - 1 }

    private func checkTabs(_ line: Line) throws {
        if let t = line.tabOffset { throw ParseProblem("tab character in indentation; YAML indents with spaces only", offset: t) }
    }

    private mutating func document() throws -> YAMLNode {
        guard !lines.isEmpty else { return .null }
        let node = try block(indent: lines[0].indent, parent: -1)
        if pos < lines.count {
            throw ParseProblem("unexpected indentation: this line does not line up with any enclosing block", offset: lines[pos].offset)
        }
        return node
    }

    private static func isSequenceItem(_ c: [UInt8]) -> Bool {
        c.first == dash && (c.count == 1 || c[1] == space)
    }

    /// A block node whose first line is at `indent`, inside a block at `parent`.
    private mutating func block(indent: Int, parent: Int) throws -> YAMLNode {
        let line = lines[pos]
        try checkTabs(line)
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth { throw ParseProblem("nesting deeper than \(Self.maximumDepth) levels", offset: line.offset) }
        if Self.isSequenceItem(line.content) { return try sequence(indent: indent) }
        if try key(of: line) != nil { return try mapping(indent: indent) }
        pos += 1
        let node = try continuePlain(try inline(line.content, at: line.offset, line: line), first: line.content, beyond: parent)
        if pos < lines.count, lines[pos].indent > indent {
            throw ParseProblem("unexpected indentation after a scalar value", offset: lines[pos].offset)
        }
        return node
    }

    private mutating func sequence(indent: Int) throws -> YAMLNode {
        var items: [YAMLNode] = []
        while pos < lines.count, lines[pos].indent == indent, Self.isSequenceItem(lines[pos].content) {
            let line = lines[pos]
            try checkTabs(line)
            var k = 1
            while k < line.content.count, line.content[k] == Self.space { k += 1 }
            if k >= line.content.count {
                pos += 1
                if pos < lines.count, lines[pos].indent > indent {
                    items.append(try block(indent: lines[pos].indent, parent: indent))
                } else {
                    items.append(.null)
                }
            } else {
                // "- key: value" opens a block whose column is that of "key".
                lines[pos] = Line(physical: line.physical, offset: line.offset + k, indent: indent + k,
                                  content: Array(line.content[k...]), tabOffset: nil)
                items.append(try block(indent: indent + k, parent: indent))
            }
            if pos < lines.count, lines[pos].indent > indent {
                throw ParseProblem("unexpected indentation inside a sequence", offset: lines[pos].offset)
            }
        }
        return .sequence(items)
    }

    /// The key of a `key: value` line and the offset in `content` where the value starts.
    private func key(of line: Line) throws -> (String, Int)? {
        let c = line.content
        guard let first = c.first, first != UInt8(ascii: "["), first != UInt8(ascii: "{") else { return nil }
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            guard let (text, after) = try? quoted(c, from: 0, base: line.offset, line: line) else { return nil }
            var j = after
            while j < c.count, c[j] == Self.space { j += 1 }
            guard j < c.count, c[j] == Self.colon, j + 1 == c.count || c[j + 1] == Self.space else { return nil }
            return (text, j + 1)
        }
        var j = 0
        while j < c.count {
            if c[j] == Self.colon, j + 1 == c.count || c[j + 1] == Self.space {
                var keyBytes = Array(c[0..<j])
                while keyBytes.last == Self.space { keyBytes.removeLast() }
                return (String(decoding: keyBytes, as: UTF8.self), j + 1)
            }
            j += 1
        }
        return nil
    }

    private mutating func mapping(indent: Int) throws -> YAMLNode {
        var entries: [YAMLEntry] = []
        var keys = Set<String>()
        while pos < lines.count, lines[pos].indent == indent {
            let line = lines[pos]
            try checkTabs(line)
            if Self.isSequenceItem(line.content) {
                throw ParseProblem("a sequence item ('- ') cannot appear among the keys of a mapping", offset: line.offset)
            }
            guard let (k, valueStart) = try key(of: line) else {
                throw ParseProblem("expected 'key: value' at this indentation", offset: line.offset)
            }
            if k.first == "&" || k.first == "*" || k.first == "!" || k.first == "?" {
                throw ParseProblem("anchors, aliases, tags and complex keys are not supported", offset: line.offset)
            }
            if !keys.insert(k).inserted { throw ParseProblem("duplicate key '\(k)'", offset: line.offset) }
            var v = valueStart
            while v < line.content.count, line.content[v] == Self.space { v += 1 }
            pos += 1
            let value: YAMLNode
            if v >= line.content.count {
                if pos < lines.count, lines[pos].indent > indent {
                    value = try block(indent: lines[pos].indent, parent: indent)
                } else if pos < lines.count, lines[pos].indent == indent, Self.isSequenceItem(lines[pos].content) {
                    value = try sequence(indent: indent)
                } else {
                    value = .null
                }
            } else if line.content[v] == UInt8(ascii: "|") || line.content[v] == UInt8(ascii: ">") {
                value = try blockScalar(header: Array(line.content[v...]), headerOffset: line.offset + v, line: line, parentIndent: indent)
            } else {
                let text = Array(line.content[v...])
                value = try continuePlain(try inline(text, at: line.offset + v, line: line), first: text, beyond: indent)
            }
            entries.append(YAMLEntry(k, value))
            if pos < lines.count, lines[pos].indent > indent {
                throw ParseProblem("unexpected indentation: '\(k)' already has a value on its own line", offset: lines[pos].offset)
            }
        }
        return .mapping(entries)
    }

    /// Folds the lines that continue a multi-line plain scalar (more indented than `parent`) into it.
    private mutating func continuePlain(_ node: YAMLNode, first: [UInt8], beyond parent: Int) throws -> YAMLNode {
        guard case .scalar(var text) = node, let c = first.first,
              ![UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["), UInt8(ascii: "{")].contains(c) else { return node }
        while pos < lines.count, lines[pos].indent > parent {
            let l = lines[pos]
            try checkTabs(l)
            for j in 0..<l.content.count where l.content[j] == Self.colon && (j + 1 == l.content.count || l.content[j + 1] == Self.space) {
                throw ParseProblem("mapping values are not allowed here (a multi-line plain scalar cannot hold ': ')", offset: l.offset + j)
            }
            text += " " + String(decoding: l.content, as: UTF8.self)
            pos += 1
        }
        return .scalar(text)
    }

    private mutating func blockScalar(header: [UInt8], headerOffset: Int, line: Line, parentIndent: Int) throws -> YAMLNode {
        let folded = header[0] == UInt8(ascii: ">")
        var chomp: UInt8? = nil
        for (n, c) in header.dropFirst().enumerated() {
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { chomp = c } else {
                throw ParseProblem("unsupported block scalar indicator '\(String(UnicodeScalar(c)))'", offset: headerOffset + n + 1)
            }
        }
        var body: [[UInt8]] = []
        var blockIndent: Int? = nil
        var p = line.physical + 1
        while p < physical.count {
            let raw = physical[p].bytes
            let lead = raw.prefix(while: { $0 == Self.space }).count
            if lead == raw.count {
                // A blank line keeps the spaces beyond the block's indentation.
                if let bi = blockIndent, raw.count > bi { body.append(Array(raw[bi...])) } else { body.append([]) }
                p += 1
                continue
            }
            if lead <= parentIndent { break }
            if blockIndent == nil { blockIndent = lead }
            if lead < blockIndent! {
                throw ParseProblem("a line of the block scalar is indented less than its first line", offset: physical[p].start)
            }
            body.append(Array(raw[blockIndent!...]))
            p += 1
        }
        while pos < lines.count, lines[pos].physical < p { pos += 1 }
        var trailing = 0
        while body.last?.isEmpty == true { body.removeLast(); trailing += 1 }
        var text = ""
        for (n, l) in body.enumerated() {
            let s = String(decoding: l, as: UTF8.self)
            if n > 0 {
                // Folding joins lines with a space, except around empty and more-indented lines.
                let previous = body[n - 1]
                let plainPrevious = !previous.isEmpty && previous.first != Self.space
                if folded && plainPrevious && !l.isEmpty && l.first != Self.space {
                    text += " "
                } else if folded && plainPrevious && l.isEmpty {
                    // The break before an empty line is folded away; the empty line gives the newline.
                } else {
                    text += "\n"
                }
            }
            text += s
        }
        switch chomp {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"): text += String(repeating: "\n", count: trailing + (body.isEmpty ? 0 : 1))
        default: if !body.isEmpty { text += "\n" }
        }
        return .string(text)
    }

    private func inline(_ c: [UInt8], at offset: Int, line: Line) throws -> YAMLNode {
        let first = c[0]
        switch first {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (text, after) = try quoted(c, from: 0, base: offset, line: line)
            if after < c.count { throw ParseProblem("unexpected text after a quoted scalar", offset: offset + after) }
            return .string(text)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var flow = LegacyFlowParser(c: c, base: offset, lastLine: isLastLine(line))
            let node = try flow.value()
            flow.skipSpaces()
            if flow.i < c.count { throw ParseProblem("unexpected text after a flow collection", offset: offset + flow.i) }
            return node
        case UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"):
            throw ParseProblem("anchors, aliases and tags are not supported", offset: offset)
        case UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw ParseProblem("a plain scalar cannot start with '\(String(UnicodeScalar(first)))'", offset: offset)
        default:
            for j in 0..<c.count where c[j] == Self.colon && (j + 1 == c.count || c[j + 1] == Self.space) {
                throw ParseProblem("mapping values are not allowed here (quote the value if ': ' is part of it)", offset: offset + j)
            }
            let s = String(decoding: c, as: UTF8.self)
            return ["~", "null", "Null", "NULL"].contains(s) ? .null : .scalar(s)
        }
    }

    /// Parses a quoted scalar starting at `from`; returns its text and the index after the closing quote.
    private func quoted(_ c: [UInt8], from: Int, base: Int, line: Line) throws -> (String, Int) {
        let q = c[from]
        var out: [UInt8] = []
        var i = from + 1
        while i < c.count {
            let ch = c[i]
            if q == UInt8(ascii: "'") {
                if ch == q {
                    if i + 1 < c.count, c[i + 1] == q { out.append(q); i += 2; continue }
                    return (String(decoding: out, as: UTF8.self), i + 1)
                }
                out.append(ch)
                i += 1
                continue
            }
            if ch == q { return (String(decoding: out, as: UTF8.self), i + 1) }
            if ch == UInt8(ascii: "\\") {
                guard i + 1 < c.count else { break }
                let e = c[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: " "): out.append(e)
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                    guard i + n <= c.count, let v = UInt32(String(decoding: c[i..<i + n], as: UTF8.self), radix: 16),
                          let scalar = UnicodeScalar(v) else {
                        throw ParseProblem("invalid \\\(String(UnicodeScalar(e))) escape in a double-quoted string", offset: base + i - 2)
                    }
                    out.append(contentsOf: Array(String(scalar).utf8))
                    i += n
                default:
                    throw ParseProblem("invalid escape '\\\(String(UnicodeScalar(e)))' in a double-quoted string", offset: base + i - 2)
                }
                continue
            }
            out.append(ch)
            i += 1
        }
        throw ParseProblem("unterminated quoted string (multi-line quoted scalars are not supported)", offset: base + from, atEnd: isLastLine(line))
    }
}

/// One-line flow collections: `[a, "b", {c: 1}]`.
private struct LegacyFlowParser {
    let c: [UInt8]
    let base: Int
    let lastLine: Bool
    var i = 0
    var depth = 0

    init(c: [UInt8], base: Int, lastLine: Bool) {
        self.c = c
        self.base = base
        self.lastLine = lastLine
    }

    mutating func skipSpaces() { while i < c.count, c[i] == UInt8(ascii: " ") { i += 1 } }

    private func unterminated(_ what: String) -> ParseProblem {
        ParseProblem("unterminated flow \(what) (flow collections must close on the same line)", offset: base + c.count, atEnd: lastLine)
    }

    mutating func value() throws -> YAMLNode {
        skipSpaces()
        guard i < c.count else { throw unterminated("collection") }
        switch c[i] {
        case UInt8(ascii: "["): return try collection(close: UInt8(ascii: "]"))
        case UInt8(ascii: "{"): return try collection(close: UInt8(ascii: "}"))
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try quotedScalar())
        case UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"):
            throw ParseProblem("anchors, aliases and tags are not supported", offset: base + i)
        default:
            let s = plain(stopAtColon: false)
            return ["~", "null", "Null", "NULL", ""].contains(s) ? .null : .scalar(s)
        }
    }

    private mutating func quotedScalar() throws -> String {
        let q = c[i]
        let start = i
        var out: [UInt8] = []
        i += 1
        while i < c.count {
            if c[i] == UInt8(ascii: "\\"), q == UInt8(ascii: "\""), i + 1 < c.count { out.append(c[i + 1]); i += 2; continue }
            if c[i] == q {
                if q == UInt8(ascii: "'"), i + 1 < c.count, c[i + 1] == q { out.append(q); i += 2; continue }
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            out.append(c[i])
            i += 1
        }
        throw ParseProblem("unterminated quoted string", offset: base + start, atEnd: lastLine)
    }

    private mutating func plain(stopAtColon: Bool) -> String {
        let start = i
        while i < c.count {
            let ch = c[i]
            if ch == UInt8(ascii: ",") || ch == UInt8(ascii: "]") || ch == UInt8(ascii: "}") { break }
            if stopAtColon, ch == UInt8(ascii: ":"), i + 1 == c.count || [UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "}")].contains(c[i + 1]) { break }
            i += 1
        }
        var end = i
        while end > start, c[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return String(decoding: c[start..<end], as: UTF8.self)
    }

    private mutating func collection(close: UInt8) throws -> YAMLNode {
        let isMap = close == UInt8(ascii: "}")
        depth += 1
        if depth > 64 { throw ParseProblem("flow collections nested too deeply", offset: base + i) }
        defer { depth -= 1 }
        i += 1
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        var keys = Set<String>()
        while true {
            skipSpaces()
            guard i < c.count else { throw unterminated(isMap ? "mapping" : "sequence") }
            if c[i] == close { i += 1; break }
            if isMap {
                let keyOffset = i
                let key: String
                if c[i] == UInt8(ascii: "\"") || c[i] == UInt8(ascii: "'") { key = try quotedScalar() } else { key = plain(stopAtColon: true) }
                if !keys.insert(key).inserted { throw ParseProblem("duplicate key '\(key)'", offset: base + keyOffset) }
                skipSpaces()
                var v: YAMLNode = .null
                if i < c.count, c[i] == UInt8(ascii: ":") {
                    i += 1
                    skipSpaces()
                    if i < c.count, c[i] != UInt8(ascii: ","), c[i] != close { v = try value() }
                }
                entries.append(YAMLEntry(key, v))
            } else {
                items.append(try value())
            }
            skipSpaces()
            guard i < c.count else { throw unterminated(isMap ? "mapping" : "sequence") }
            if c[i] == UInt8(ascii: ",") { i += 1; continue }
            if c[i] == close { i += 1; break }
            throw ParseProblem("expected ',' or '\(String(UnicodeScalar(close)))' in a flow collection", offset: base + i)
        }
        return isMap ? .mapping(entries) : .sequence(items)
    }
}
