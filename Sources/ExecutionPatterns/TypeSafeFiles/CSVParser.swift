/// RFC 4180 CSV: quoted fields with `""` escapes, CRLF or LF records, a header row.
///
/// Hand-written because what this library needs from it is the position of
/// a malformed field and whether the file was cut inside a quoted field,
/// and Foundation has no CSV reader; CSV.swift (one of the packages on this
/// machine) throws a bare `invalidCSVFormat`, with no position.
/// ReaderReferenceTests checks it against RFC 4180's cases.
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
