import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

/// The YAML reader on a corpus of valid and invalid documents (issue 10, point 5).
@Suite("EXEC-001 YAML read with Yams: a corpus")
struct YAMLCorpusTests {
    let registry = FileHandlerRegistry()

    func parse(_ text: String) -> Result<YAMLNode, ParseProblem> {
        FileHandler.yaml.parse(Array(text.utf8)).map { content in
            guard case .yaml(let node) = content else { return .null }
            return node
        }
    }

    func validate(_ text: String) -> Result<FileContent, FileContentError> {
        registry.validate(Array(text.utf8), as: .yaml, path: "corpus.yaml")
    }

    struct Valid: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let expected: YAMLNode
        var testDescription: String { name }
    }

    static let valid: [Valid] = [
        // The issue's examples, which the hand-written reader misread.
        Valid(name: "a block scalar as a sequence item", text: "- |\n  line one\n  line two\n- >\n  folded\n  text\n- plain\n",
              expected: .sequence([.string("line one\nline two\n"), .string("folded text\n"), .scalar("plain")])),
        Valid(name: "escapes in flow double-quoted strings", text: "[\"a\\tb\", \"\\u00e9\", \"q\\\"\"]\n",
              expected: .sequence([.string("a\tb"), .string("é"), .string("q\"")])),
        Valid(name: "a tab after 'key:'", text: "key:\tvalue\nother: 2\n",
              expected: .mapping([YAMLEntry("key", .scalar("value")), YAMLEntry("other", .scalar("2"))])),
        Valid(name: "a document end marker with nothing after it", text: "a: 1\n...\n",
              expected: .mapping([YAMLEntry("a", .scalar("1"))])),
        // The library's typing, not YAML 1.1's.
        Valid(name: "yes, on and dates stay as written", text: "a: yes\nb: on\nc: 2001-12-14\nd: NO\n",
              expected: .mapping([YAMLEntry("a", .scalar("yes")), YAMLEntry("b", .scalar("on")),
                                  YAMLEntry("c", .scalar("2001-12-14")), YAMLEntry("d", .scalar("NO"))])),
        Valid(name: "null forms", text: "a: ~\nb: null\nc:\nd: ''\n",
              expected: .mapping([YAMLEntry("a", .null), YAMLEntry("b", .null), YAMLEntry("c", .null), YAMLEntry("d", .string(""))])),
        Valid(name: "explicit string and null tags", text: "a: !!str 8080\nb: !!null ''\nc: !!int 3\n",
              expected: .mapping([YAMLEntry("a", .string("8080")), YAMLEntry("b", .null), YAMLEntry("c", .scalar("3"))])),
        Valid(name: "anchors and aliases", text: "base: &b {x: 1, y: [a, b]}\nother: *b\n",
              expected: .mapping([YAMLEntry("base", .mapping([YAMLEntry("x", .scalar("1")), YAMLEntry("y", .sequence([.scalar("a"), .scalar("b")]))])),
                                  YAMLEntry("other", .mapping([YAMLEntry("x", .scalar("1")), YAMLEntry("y", .sequence([.scalar("a"), .scalar("b")]))]))])),
        Valid(name: "a multi-line flow collection", text: "list: [one,\n  two,\n  three]\n",
              expected: .mapping([YAMLEntry("list", .sequence([.scalar("one"), .scalar("two"), .scalar("three")]))])),
        Valid(name: "a multi-line double-quoted scalar", text: "a: \"one\n  two\"\n",
              expected: .mapping([YAMLEntry("a", .string("one two"))])),
        Valid(name: "chomping indicators", text: "a: |-\n  x\nb: |+\n  y\n\nc: >\n  p\n\n  q\n",
              expected: .mapping([YAMLEntry("a", .string("x")), YAMLEntry("b", .string("y\n\n")), YAMLEntry("c", .string("p\nq\n"))])),
        Valid(name: "comments, a document start and a directive", text: "%YAML 1.1\n---\n# top\na: 1 # trailing\nb: 'x # not a comment'\n",
              expected: .mapping([YAMLEntry("a", .scalar("1")), YAMLEntry("b", .string("x # not a comment"))])),
        Valid(name: "a JSON document", text: "{\n  \"a\": [1, 2.5, true, null],\n  \"b\": {\"c\": \"d\\/e\"}\n}\n",
              expected: .mapping([YAMLEntry("a", .sequence([.scalar("1"), .scalar("2.5"), .scalar("true"), .null])),
                                  YAMLEntry("b", .mapping([YAMLEntry("c", .string("d/e"))]))])),
        Valid(name: "JSON indented with tabs", text: "{\n\t\"a\": [\n\t\t1\n\t]\n}\n",
              expected: .mapping([YAMLEntry("a", .sequence([.scalar("1")]))])),
        Valid(name: "an empty document", text: "# only a comment\n", expected: .null),
        Valid(name: "a sequence of mappings", text: "- name: a\n  port: 1\n- name: b\n",
              expected: .sequence([.mapping([YAMLEntry("name", .scalar("a")), YAMLEntry("port", .scalar("1"))]),
                                   .mapping([YAMLEntry("name", .scalar("b"))])])),
    ]

    @Test("Valid documents read as the library documents them", arguments: valid)
    func validDocuments(c: Valid) {
        let got = parse(c.text)
        #expect(got == .success(c.expected), "\(got)")
    }

    @Test("The typing of plain scalars: integers, numbers and true/false only; yes and dates are strings")
    func typing() throws {
        let node = try parse("port: 8080\nratio: 0.5\nflag: true\nyes_: yes\nday: 2001-12-14\nquoted: \"8080\"\n").get()
        #expect(node.jsonValue == .object([JSONMember("port", .number(8080)), JSONMember("ratio", .number(0.5)), JSONMember("flag", .bool(true)),
                                           JSONMember("yes_", .string("yes")), JSONMember("day", .string("2001-12-14")),
                                           JSONMember("quoted", .string("8080"))]))
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let truncated: Bool
        let line: Int
        let column: Int?
        let fragment: String
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "content after '...'", text: "a: 1\n...\nb: 2\n", truncated: false, line: 3, column: 1, fragment: "second YAML document"),
        Invalid(name: "a second document", text: "a: 1\n---\nb: 2\n", truncated: false, line: 2, column: 1, fragment: "second YAML document"),
        Invalid(name: "an empty key", text: ": v\n", truncated: false, line: 1, column: 1, fragment: "expected key"),
        Invalid(name: "a null key", text: "~: v\n", truncated: false, line: 1, column: 1, fragment: "key is empty"),
        Invalid(name: "a collection as a key", text: "? [a, b]\n: v\n", truncated: false, line: 1, column: 3, fragment: "not a collection"),
        Invalid(name: "an unterminated flow sequence", text: "a: [1, 2\n", truncated: true, line: 2, column: 1, fragment: "expected ',' or ']'"),
        Invalid(name: "an unterminated quote", text: "a: 'open\n", truncated: true, line: 2, column: 1, fragment: "quoted scalar"),
        Invalid(name: "a mapping value on a plain scalar", text: "a: b: c\n", truncated: false, line: 1, column: 5, fragment: "mapping values"),
        Invalid(name: "a tab as indentation", text: "a:\n\tb: 1\n", truncated: false, line: 2, column: 1, fragment: "tab"),
        Invalid(name: "an undefined alias", text: "a: *nowhere\n", truncated: false, line: 1, column: 4, fragment: "undefined alias"),
        Invalid(name: "an unknown tag", text: "a: !custom x\n", truncated: false, line: 1, column: 4, fragment: "not supported"),
        Invalid(name: "a duplicate key in a flow mapping", text: "{a: 1, a: 2}\n", truncated: false, line: 1, column: 2, fragment: "duplicate key 'a'"),
        Invalid(name: "a sequence item among keys", text: "a: 1\n- b\n", truncated: false, line: 2, column: 1, fragment: "expected key"),
        Invalid(name: "a truncated block mapping value", text: "a:\n  b: [1,\n", truncated: true, line: 3, column: 1, fragment: "did not find expected node content"),
    ]

    @Test("Invalid documents are typed errors with line and column; a cut-off one is 'truncated'", arguments: invalid)
    func invalidDocuments(c: Invalid) {
        guard case .failure(let error) = validate(c.text) else {
            Issue.record("accepted: \(validate(c.text))")
            return
        }
        switch error.kind {
        case .truncated: #expect(c.truncated, "\(error)")
        case .syntax: #expect(!c.truncated, "\(error)")
        default: Issue.record("neither syntax nor truncated: \(error)")
        }
        #expect(error.line == c.line, "\(error)")
        if let column = c.column { #expect(error.column == column, "\(error)") }
        #expect(error.description.contains(c.fragment), "\(error)")
    }

    @Test("An alias bomb is a clear error, quickly, not a memory blow-up", .timeLimit(.minutes(1)))
    func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<10 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let start = ContinuousClock.now
        guard case .failure(let error) = validate(text) else {
            Issue.record("a document of 10^10 nodes was accepted")
            return
        }
        #expect(error.description.contains("alias bomb"), "\(error)")
        #expect(ContinuousClock.now - start < .seconds(5))
        // A few aliases that repeat a block are fine.
        let modest = "defaults: &d {retries: 3, timeout: 10}\njobs: [*d, *d, *d]\n"
        #expect(validate(modest).isSuccess, "\(validate(modest))")
    }

    @Test("Nesting past the limit is an error, not a crash", arguments: [
        String(repeating: "- ", count: 300) + "x\n",
        String(repeating: "[", count: 999) + String(repeating: "]", count: 999) + "\n",
        String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001) + "\n",
        String(repeating: "{a: ", count: 100_000) + "\n",
    ])
    func deepNesting(text: String) {
        guard case .failure(let error) = validate(text) else {
            Issue.record("accepted \(text.prefix(20))...")
            return
        }
        #expect(error.description.contains("nesting deeper"), "\(error)")
    }

    /// Documents the hand-written reader read right.
    static let agreed = [
        "name: x\nports:\n  - 80\n  - 443\nnested:\n  key: 'quoted # not a comment'\n  flow: [a, b]\n# comment\n",
        "a: 1\nb: two words\nc: \"esc\\n\"\nd: 'it''s'\n",
        "list:\n- a\n- b\nmap: {k: v, n: 1}\n",
        "text: |\n  line 1\n  line 2\nfolded: >\n  a\n  b\n\n  c\n",
        "plain: a multi\n  line scalar\nnext: ~\nempty:\n",
        "---\nroot:\n  items:\n    - name: one\n      value: 'q'\n    - [1, 2]\n  text: |\n    line\n",
        "- - nested\n  - seq\n- k: v\n",
        "url: http://example.com:8080/path\ntime: 12:30\n",
    ]

    @Test("Where the hand-written reader was right, the Yams reader gives the same nodes", arguments: agreed)
    func agreesWithLegacy(text: String) {
        let legacy = LegacyYAMLParser.parse(Array(text.utf8))
        #expect(legacy.isSuccess, "the old reader: \(legacy)")
        #expect(parse(text) == legacy, "new: \(parse(text)), old: \(legacy)")
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
