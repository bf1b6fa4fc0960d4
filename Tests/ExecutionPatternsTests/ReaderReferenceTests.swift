import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

/// The hand-written JSON and CSV readers checked against references (issue
/// 10, point 5): JSON against Foundation's `JSONSerialization`, CSV against
/// the cases of RFC 4180.
@Suite("EXEC-001 JSON and CSV readers against references")
struct ReaderReferenceTests {
    let registry = FileHandlerRegistry()

    /// Foundation's value as a `JSONValue`, objects with their keys sorted (Foundation keeps no order).
    static func value(_ any: Any) -> JSONValue? {
        switch any {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let n as NSNumber:
            // A JSON true or false comes back as a Boolean NSNumber ("c").
            return String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
        case let a as [Any]:
            let items = a.compactMap(value)
            return items.count == a.count ? .array(items) : nil
        case let d as [String: Any]:
            return .object(d.keys.sorted().compactMap { k in value(d[k]!).map { JSONMember(k, $0) } })
        default: return nil
        }
    }

    static func sorted(_ v: JSONValue) -> JSONValue {
        switch v {
        case .array(let a): .array(a.map(sorted))
        case .object(let m): .object(m.sorted { $0.key < $1.key }.map { JSONMember($0.key, sorted($0.value)) })
        default: v
        }
    }

    static let jsonCorpus = [
        "{}", "[]", "0", "-0", "1.5e3", "-12.25E-2", "\"\"", "true", "null", " [1, 2 ] ",
        "{\"a\": {\"b\": [null, false, \"x\\u00e9\\n\\t\\\\\\\"\\/\"]}}", "\"\\ud83d\\ude00\"", "[1e308]",
        "{\"k\":\"v\",\"n\":[1,[2,[3]]]}", "\"\u{00e9}\"",
        // Invalid, for both.
        "", "[", "{\"a\" 1}", "01", "1.", ".5", "+1", "[1 2]", "'a'", "tru", "nul", "\"\t\"",
        "{a: 1}", "[1] [2]", "\"\\x\"", "NaN", "[-]", "1e", "\"unterminated",
    ]

    @Test("Accepts what JSONSerialization accepts, rejects what it rejects, and gives the same values", arguments: jsonCorpus)
    func jsonAgainstFoundation(text: String) {
        let ours = FileHandler.json.parse(Array(text.utf8))
        let reference = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        switch (ours, reference) {
        case (.success(.json(let v)), let ref?):
            #expect(Self.value(ref) == Self.sorted(v), "ours \(v), Foundation \(ref)")
        case (.failure, nil):
            break
        default:
            Issue.record("disagree on \(text.debugDescription): ours \(ours), Foundation \(String(describing: reference))")
        }
    }

    @Test("Where the JSON reader differs from JSONSerialization on purpose: duplicate keys and trailing commas are refused, member order is kept")
    func jsonDifferences() throws {
        // RFC 8259 has no trailing comma; Foundation (on Linux) accepts one.
        for text in ["[1,]", "{\"a\":1,}"] {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "Foundation's leniency changed: \(text)")
            #expect(FileHandler.json.parse(Array(text.utf8)).isFailure, "\(text)")
        }
        let duplicate = "{\"a\": 1, \"a\": 2}"
        #expect(try JSONSerialization.jsonObject(with: Data(duplicate.utf8)) is NSDictionary, "Foundation keeps one of them silently")
        guard case .failure(let p) = FileHandler.json.parse(Array(duplicate.utf8)) else { Issue.record("a duplicate key was accepted"); return }
        #expect(p.message.contains("duplicate"), "\(p)")
        guard case .success(.json(.object(let members))) = FileHandler.json.parse(Array("{\"z\": 1, \"a\": 2, \"m\": 3}".utf8)) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["z", "a", "m"])
    }

    struct CSVCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let table: CSVTable
        var testDescription: String { name }
    }

    /// RFC 4180, section 2, rules 1 to 7, one case each (and the line feed most files use).
    static let rfc4180 = [
        CSVCase(name: "1: records end with CRLF", text: "aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n",
                table: CSVTable(header: ["aaa", "bbb", "ccc"], rows: [["zzz", "yyy", "xxx"]])),
        CSVCase(name: "2: the last record may have no line break", text: "aaa,bbb,ccc\r\nzzz,yyy,xxx",
                table: CSVTable(header: ["aaa", "bbb", "ccc"], rows: [["zzz", "yyy", "xxx"]])),
        CSVCase(name: "3: a header line", text: "field_name,field_name2\r\naaa,bbb\r\n",
                table: CSVTable(header: ["field_name", "field_name2"], rows: [["aaa", "bbb"]])),
        CSVCase(name: "4: spaces are part of a field", text: "a, b ,c\r\n1, 2 ,3\r\n",
                table: CSVTable(header: ["a", " b ", "c"], rows: [["1", " 2 ", "3"]])),
        CSVCase(name: "5: fields may be quoted", text: "\"aaa\",\"bbb\",\"ccc\"\r\nzzz,yyy,xxx\r\n",
                table: CSVTable(header: ["aaa", "bbb", "ccc"], rows: [["zzz", "yyy", "xxx"]])),
        CSVCase(name: "6: line breaks, quotes and commas in quoted fields", text: "\"aaa\",\"b\r\nbb\",\"c,cc\"\r\nzzz,yyy,xxx\r\n",
                table: CSVTable(header: ["aaa", "b\r\nbb", "c,cc"], rows: [["zzz", "yyy", "xxx"]])),
        CSVCase(name: "7: a double quote is escaped by another", text: "\"aaa\",\"b\"\"bb\",\"ccc\"\r\n1,2,3\r\n",
                table: CSVTable(header: ["aaa", "b\"bb", "ccc"], rows: [["1", "2", "3"]])),
        CSVCase(name: "empty fields, quoted and not", text: "a,b,c\n,\"\",\n",
                table: CSVTable(header: ["a", "b", "c"], rows: [["", "", ""]])),
        CSVCase(name: "line feeds instead of CRLF", text: "a,b\n1,2\n3,4\n",
                table: CSVTable(header: ["a", "b"], rows: [["1", "2"], ["3", "4"]])),
    ]

    @Test("RFC 4180's cases read as the RFC says", arguments: rfc4180)
    func csvRFC4180(c: CSVCase) {
        let got = FileHandler.csv.parse(Array(c.text.utf8))
        guard case .success(.csv(let table)) = got else { Issue.record("\(got)"); return }
        #expect(table == c.table)
    }

    @Test("Malformed CSV is a positioned error; a cut-off quoted field is 'truncated'", arguments: [
        ("a,b\n1,x\"y\n", false, 2), ("a,b\n1,\"x\"y\n", false, 2), ("a,b\n1,2,3\n", false, 2),
        ("a,b\n1,\"open\n", true, 2), ("a,b\r1,2\n", false, 1),
    ])
    func csvErrors(text: String, truncated: Bool, line: Int) {
        guard case .failure(let e) = registry.validate(Array(text.utf8), as: .csv, path: "x.csv") else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
        if truncated { #expect(e.kind == .truncated(e.kind.message), "\(e)") } else { #expect(e.kind == .syntax(e.kind.message), "\(e)") }
        #expect(e.line == line, "\(e)")
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension FileContentError.Kind {
    var message: String {
        switch self {
        case .truncated(let m), .syntax(let m): m
        default: ""
        }
    }
}
