/// A parser for the flat JSON objects of a trace line: string keys, string or number values.
///
/// Numbers are kept as their text so that `t` keeps all nine decimals.
enum FlatJSON {
    struct Failure: Error { var message: String }

    static func parse(_ text: String) throws(Failure) -> [String: String] {
        let bytes = Array(text.utf8)
        var i = 0
        var fields: [String: String] = [:]
        func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 } }
        func expect(_ c: UInt8) throws(Failure) {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else {
                throw Failure(message: "expected \"\(Character(Unicode.Scalar(c)))\" at column \(i + 1).")
            }
            i += 1
        }
        func string() throws(Failure) -> String {
            try expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    i += 1
                    switch bytes[i] {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard i + 4 < bytes.count,
                              let value = UInt32(String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(value) else {
                            throw Failure(message: "a \\u escape at column \(i + 1) is not four hex digits.")
                        }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                        i += 4
                    default: out.append(bytes[i])
                    }
                } else {
                    out.append(bytes[i])
                }
                i += 1
            }
            guard i < bytes.count else { throw Failure(message: "a string is never closed.") }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return fields }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                fields[key] = try string()
            } else {
                let start = i
                while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "}"), bytes[i] != 0x20 { i += 1 }
                guard i > start else { throw Failure(message: "the value of \"\(key)\" is missing.") }
                fields[key] = String(decoding: bytes[start..<i], as: UTF8.self)
            }
            skipSpace()
            guard i < bytes.count else { throw Failure(message: "the object is never closed.") }
            if bytes[i] == UInt8(ascii: "}") { return fields }
            try expect(UInt8(ascii: ","))
        }
    }
}
