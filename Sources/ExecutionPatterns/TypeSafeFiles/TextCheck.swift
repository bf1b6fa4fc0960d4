/// Checks that bytes are UTF-8 text and finds the first offending byte.
enum TextCheck {
    /// The offset after a UTF-8 byte order mark, or 0.
    static func bomLength(_ b: [UInt8]) -> Int {
        b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0
    }

    /// Nil if `b` is valid UTF-8 without NUL bytes; otherwise what is wrong and where.
    static func problem(_ b: [UInt8]) -> ParseProblem? {
        if b.count >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)) {
            return ParseProblem("UTF-16 text (byte order mark \(b[0] == 0xFF ? "FF FE" : "FE FF")); expected UTF-8", offset: 0)
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 0 { return ParseProblem("a NUL byte: binary data, not text", offset: i) }
            if c < 0x80 { i += 1; continue }
            let need: Int
            var minimum: UInt32
            var v: UInt32
            switch c {
            case 0xC2...0xDF: need = 1; v = UInt32(c & 0x1F); minimum = 0x80
            case 0xE0...0xEF: need = 2; v = UInt32(c & 0x0F); minimum = 0x800
            case 0xF0...0xF4: need = 3; v = UInt32(c & 0x07); minimum = 0x10000
            default: return ParseProblem("invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true))", offset: i)
            }
            guard i + need < b.count else {
                return ParseProblem("the file ends inside a UTF-8 sequence", offset: i, atEnd: true)
            }
            for k in 1...need {
                let cc = b[i + k]
                guard cc & 0xC0 == 0x80 else {
                    return ParseProblem("invalid UTF-8 sequence starting with byte 0x\(String(c, radix: 16, uppercase: true))", offset: i)
                }
                v = v << 6 | UInt32(cc & 0x3F)
            }
            if v < minimum || (v >= 0xD800 && v < 0xE000) || v > 0x10FFFF {
                return ParseProblem("invalid UTF-8 sequence (overlong or surrogate)", offset: i)
            }
            i += need + 1
        }
        return nil
    }
}
