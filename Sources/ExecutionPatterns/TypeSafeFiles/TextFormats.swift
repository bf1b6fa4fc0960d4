/// RFC 4180 CSV: quoted fields with `""` escapes, CRLF or LF records, a header row.
enum CSVParser {
    static func parse(_ b: [UInt8], start: Int = 0) -> Result<CSVTable, ParseProblem> {
        var records: [[String]] = []
        var recordOffsets: [Int] = []
        var record: [String] = []
        var field: [UInt8] = []
        var i = start
        var recordStart = start
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        func endRecord() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll()
            records.append(record)
            recordOffsets.append(recordStart)
            record.removeAll()
        }
        while i < b.count {
            let c = b[i]
            if c == quote {
                guard field.isEmpty else { return .failure(ParseProblem("a quote inside an unquoted field; quote the whole field and double the quote", offset: i)) }
                let open = i
                i += 1
                var closed = false
                while i < b.count {
                    if b[i] == quote {
                        if i + 1 < b.count, b[i + 1] == quote { field.append(quote); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    field.append(b[i])
                    i += 1
                }
                if !closed { return .failure(ParseProblem("the file ends inside a quoted field opened here", offset: open, atEnd: true)) }
                if i < b.count, b[i] != comma, b[i] != lf, b[i] != cr {
                    return .failure(ParseProblem("unexpected text after the closing quote of a field", offset: i))
                }
                // An empty quoted field must still count as a field.
                if field.isEmpty { field = [] }
                continue
            }
            if c == comma {
                record.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
                i += 1
                continue
            }
            if c == cr || c == lf {
                if c == cr { if i + 1 < b.count, b[i + 1] == lf { i += 1 } else { return .failure(ParseProblem("a carriage return not followed by a line feed", offset: i)) } }
                endRecord()
                i += 1
                recordStart = i
                continue
            }
            field.append(c)
            i += 1
        }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let header = records.first else { return .failure(ParseProblem("no header row", offset: start, atEnd: true)) }
        for (n, r) in records.enumerated().dropFirst() where r.count != header.count {
            let isLast = n == records.count - 1
            let endsWithNewline = b.last == lf
            return .failure(ParseProblem(
                "record \(n) has \(r.count) field\(r.count == 1 ? "" : "s"); the header has \(header.count)",
                offset: recordOffsets[n], atEnd: isLast && !endsWithNewline && r.count < header.count))
        }
        return .success(CSVTable(header: header, rows: Array(records.dropFirst())))
    }
}

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

/// Guesses a file's format from its bytes.
enum ContentSniffer {
    /// The format the content is, or nil for binary data.
    ///
    /// JSON is recognized only if it parses; YAML by a `---` start, a
    /// `key: value` first line or a `- ` item; CSV by at least two lines that
    /// parse with a consistent number (two or more) of fields; anything else
    /// that is UTF-8 is text.
    static func detect(_ b: [UInt8]) -> FileFormat? {
        if TextCheck.problem(b) != nil { return nil }
        let start = TextCheck.bomLength(b)
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        guard i < b.count else { return .text }
        if b[i] == UInt8(ascii: "{") || b[i] == UInt8(ascii: "[") {
            if case .success = JSONParser.parse(b, start: start) { return .json }
        }
        if looksLikeYAML(b, from: i), case .success = YAMLParser.parse(b, start: start) { return .yaml }
        if case .success(let table) = CSVParser.parse(b, start: start), table.header.count >= 2, !table.rows.isEmpty { return .csv }
        return .text
    }

    /// Whether the bytes are a JSON object or array (cheap to rule out: the first non-blank byte).
    static func isJSONDocument(_ b: [UInt8]) -> Bool {
        let start = TextCheck.bomLength(b)
        guard let first = b[start...].first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return false }
        if case .success = JSONParser.parse(b, start: start) { return true }
        return false
    }

    private static func looksLikeYAML(_ b: [UInt8], from i: Int) -> Bool {
        var end = i
        while end < b.count, b[end] != 0x0A { end += 1 }
        let first = Array(b[i..<end])
        if first.starts(with: Array("---".utf8)) { return true }
        if first.starts(with: Array("- ".utf8)) { return true }
        if let colon = first.firstIndex(of: UInt8(ascii: ":")), colon > 0,
           colon + 1 == first.count || first[colon + 1] == UInt8(ascii: " ") {
            return !first[0..<colon].contains(UInt8(ascii: ",")) && !first[0..<colon].contains(UInt8(ascii: "\""))
                || first.first == UInt8(ascii: "\"")
        }
        return false
    }
}
