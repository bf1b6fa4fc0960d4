/// A strict RFC 8259 parser over bytes that reports the offset of the first problem.
///
/// Written here rather than taken from Foundation because it gives what
/// this library needs and `JSONSerialization` does not: the position of
/// every error (for the line and column), a refusal of duplicate keys
/// (Foundation keeps one silently), object members in file order, and
/// RFC 8259's grammar exactly (Foundation on Linux accepts a trailing comma).
/// ReaderReferenceTests checks it against `JSONSerialization` on a corpus.
struct JSONParser {
    private let b: [UInt8]
    private var i = 0
    private var depth = 0
    static let maximumDepth = 512

    init(_ bytes: [UInt8], start: Int = 0) {
        b = bytes
        i = start
    }

    /// Parses one JSON document that fills the whole input (whitespace aside).
    static func parse(_ bytes: [UInt8], start: Int = 0) -> Result<JSONValue, ParseProblem> {
        var p = JSONParser(bytes, start: start)
        do {
            p.skipSpace()
            let v = try p.value()
            p.skipSpace()
            if p.i < p.b.count { throw ParseProblem("unexpected '\(p.describe(p.b[p.i]))' after the end of the JSON value", offset: p.i) }
            return .success(v)
        } catch let e as ParseProblem {
            return .failure(e)
        } catch {
            return .failure(ParseProblem("\(error)", offset: p.i))
        }
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : "byte 0x" + String(c, radix: 16)
    }

    private func end(_ what: String) -> ParseProblem {
        ParseProblem("the file ends inside \(what)", offset: b.count, atEnd: true)
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSONValue {
        guard i < b.count else { throw end("a value") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw ParseProblem("expected a value but found '\(describe(b[i]))'", offset: i)
        }
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard i < b.count else { throw end("'\(word)'") }
            guard b[i] == c else { throw ParseProblem("invalid literal; expected '\(word)'", offset: i) }
            i += 1
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maximumDepth { throw ParseProblem("nesting deeper than \(Self.maximumDepth) levels", offset: i) }
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var members: [JSONMember] = []
        var keys = Set<String>()
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object([]) }
        while true {
            skipSpace()
            guard i < b.count else { throw end("an object") }
            guard b[i] == UInt8(ascii: "\"") else { throw ParseProblem("expected a quoted key but found '\(describe(b[i]))'", offset: i) }
            let keyOffset = i
            let key = try string()
            if !keys.insert(key).inserted { throw ParseProblem("duplicate key \"\(key)\"", offset: keyOffset) }
            skipSpace()
            guard i < b.count else { throw end("an object") }
            guard b[i] == UInt8(ascii: ":") else { throw ParseProblem("expected ':' after the key but found '\(describe(b[i]))'", offset: i) }
            i += 1
            skipSpace()
            members.append(JSONMember(key, try value()))
            skipSpace()
            guard i < b.count else { throw end("an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw ParseProblem("expected ',' or '}' but found '\(describe(b[i]))'", offset: i)
        }
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array([]) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard i < b.count else { throw end("an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw ParseProblem("expected ',' or ']' but found '\(describe(b[i]))'", offset: i)
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < b.count else { throw end("a \\u escape") }
            let c = b[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw ParseProblem("invalid hex digit in a \\u escape", offset: i)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw end("a string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw ParseProblem("control character (byte 0x\(String(c, radix: 16))) inside a string", offset: i) }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw end("a string") }
            let escapeOffset = i
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw ParseProblem("unpaired UTF-16 surrogate in a \\u escape", offset: escapeOffset)
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw ParseProblem("invalid UTF-16 low surrogate", offset: escapeOffset) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw ParseProblem("unpaired UTF-16 surrogate in a \\u escape", offset: escapeOffset)
                }
                out.append(contentsOf: Array(String(UnicodeScalar(scalar)!).utf8))
            default:
                throw ParseProblem("invalid escape '\\\(describe(e))'", offset: escapeOffset)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func number() throws -> Double {
        let start = i
        func digits() -> Int {
            let s = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            return i - s
        }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count else { throw end("a number") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw ParseProblem("expected a digit", offset: i)
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count else { throw end("a number") }
            if digits() == 0 { throw ParseProblem("expected a digit after the decimal point", offset: i) }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count else { throw end("a number") }
            if digits() == 0 { throw ParseProblem("expected a digit in the exponent", offset: i) }
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        guard let v = Double(text) else { throw ParseProblem("number out of range", offset: start) }
        return v
    }
}
