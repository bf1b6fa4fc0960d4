/// Guesses a file's format from its bytes.
enum ContentSniffer {
    /// The format the content is, or nil for binary data.
    ///
    /// JSON is recognized only if it parses; YAML by a `---` start, a
    /// `key: value` first line or a `- ` item, if it parses (else it is
    /// text); CSV by at least two lines that
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
        if looksLikeYAML(b, from: i) {
            // A first line like `key: value` is not a CSV header: YAML that does not
            // parse is text, so its own error is reported rather than "it is CSV".
            if case .success = YAMLParser.parse(b, start: start) { return .yaml }
            return .text
        }
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
