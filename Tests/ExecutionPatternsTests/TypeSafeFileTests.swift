import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

@Suite("EXEC-001 type-safe file operations")
struct TypeSafeFileTests {
    let registry = FileHandlerRegistry()

    @Test("Valid JSON, YAML, CSV and text files dispatch by extension to typed values")
    func validFiles() throws {
        let dir = try TemporaryDirectory()
        let json = try dir.write("config.json", #"{"name": "x", "ports": [80, 443], "debug": false}"#)
        let yaml = try dir.write("config.YML", "name: x\nports:\n  - 80\n  - 443\nnested:\n  key: 'quoted # not a comment'\n  flow: [a, b]\n# comment\n")
        let csv = try dir.write("data.csv", "id,name\n1,\"Smith, J\"\n2,\"say \"\"hi\"\"\"\n")
        let txt = try dir.write("notes.txt", "héllo\n")

        guard case .success(.json(let j)) = registry.load(json) else { Issue.record("json"); return }
        #expect(j["ports"] == .array([.number(80), .number(443)]))
        guard case .success(.yaml(let y)) = registry.load(yaml) else { Issue.record("yaml: \(registry.load(yaml))"); return }
        #expect(y["ports"] == .sequence([.scalar("80"), .scalar("443")]))
        #expect(y["nested"]?["key"] == .string("quoted # not a comment"))
        #expect(y["nested"]?["flow"] == .sequence([.scalar("a"), .scalar("b")]))
        guard case .success(.csv(let c)) = registry.load(csv) else { Issue.record("csv"); return }
        #expect(c.header == ["id", "name"])
        #expect(c.rows == [["1", "Smith, J"], ["2", "say \"hi\""]])
        guard case .success(.text(let t)) = registry.load(txt) else { Issue.record("text"); return }
        #expect(t == "héllo\n")
    }

    @Test("Dispatch by content recognizes each format without an extension")
    func byContent() throws {
        let dir = try TemporaryDirectory()
        let cases: [(String, FileFormat)] = [
            ("[1, 2, {\"a\": null}]", .json), ("key: value\nlist:\n  - 1\n", .yaml), ("a,b,c\n1,2,3\n", .csv), ("just words\n", .text),
        ]
        for (n, (content, format)) in cases.enumerated() {
            let p = try dir.write("file\(n)", content)
            let loaded = registry.load(p, dispatch: .byContent)
            #expect((try? loaded.get())?.format == format, "\(content) -> \(loaded)")
        }
    }

    @Test("A JSON syntax error reports line and column")
    func jsonSyntax() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("bad.json", "{\n  \"a\": 1,\n  \"b\" 2\n}\n")
        let error = try #require(registry.load(p).failure)
        #expect(error.kind == .syntax("expected ':' after the key but found '2'"))
        #expect(error.line == 3)
        #expect(error.column == 7)
        #expect(error.description.contains("bad.json"))
        #expect(error.description.contains("line 3, column 7"))
    }

    @Test("A file cut in the middle of a value is reported as truncated", arguments: [
        ("cut.json", #"{"items": [1, 2, 3"#), ("cut.json", #"{"name": "unfinish"#),
        ("cut.csv", "a,b\n1,\"unterminated"), ("cut.yaml", "a: 1\nb: [x, y"),
    ])
    func truncated(name: String, content: String) throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write(name, content)
        let error = try #require(registry.load(p).failure)
        guard case .truncated = error.kind else { Issue.record("\(error)"); return }
        #expect(error.line != nil)
    }

    @Test("Empty file, binary data, invalid UTF-8 and UTF-16 are rejected with the reason")
    func encodingAndEmpty() throws {
        let dir = try TemporaryDirectory()
        #expect(registry.load(try dir.write("empty.json", "")).failure?.kind == .empty)
        #expect(registry.load(try dir.write("bom.txt", [0xEF, 0xBB, 0xBF])).failure?.kind == .empty)
        let bad = try #require(registry.load(try dir.write("latin1.txt", Array("ok\nna".utf8) + [0xEF, 0x76, 0x65])).failure)
        guard case .invalidEncoding = bad.kind else { Issue.record("\(bad)"); return }
        #expect(bad.line == 2 && bad.column == 3)
        let utf16 = try #require(registry.load(try dir.write("u16.json", [0xFF, 0xFE, 0x7B, 0x00])).failure)
        guard case .invalidEncoding(let m) = utf16.kind else { Issue.record("\(utf16)"); return }
        #expect(m.contains("UTF-16"))
        let binary = try #require(registry.load(try dir.write("bin.txt", [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01])).failure)
        guard case .invalidEncoding = binary.kind else { Issue.record("\(binary)"); return }
    }

    @Test("Content that does not match the extension is named as the format it is")
    func mismatch() throws {
        let dir = try TemporaryDirectory()
        let csvInJSON = try #require(registry.load(try dir.write("data.json", "a,b\n1,2\n")).failure)
        #expect(csvInJSON.kind == .contentMismatch(declared: .json, detected: .csv))
        let jsonInCSV = try #require(registry.load(try dir.write("data.csv", #"{"a": [1, 2]}"#)).failure)
        #expect(jsonInCSV.kind == .contentMismatch(declared: .csv, detected: .json))
        // YAML 1.2 contains JSON: a JSON document in a .yaml file is fine.
        guard case .success(.yaml(let y)) = registry.load(try dir.write("data.yaml", "{\n  \"a\": [1,\n 2]\n}\n")) else { Issue.record("json in yaml"); return }
        #expect(y["a"] == .sequence([.scalar("1"), .scalar("2")]))
    }

    @Test("YAML structure errors carry line and column", arguments: [
        ("a:\n\tb: 1\n", 2, "tab"),
        ("a:\n    b: 1\n  c: 2\n", 3, "indentation"),
        ("a: b: c\n", 1, "mapping values"),
        // Yams reports a duplicate key at its first occurrence.
        ("a: 1\na: 2\n", 1, "duplicate key 'a'"),
        ("list:\n  - 1\n  key: 2\n", 3, "indentation"),
        // Anchors and aliases are read since the reader uses Yams; an unknown tag is refused.
        ("a: !custom 1\n", 1, "not supported"),
        // A double-quoted scalar may span lines, so it ends where the file does.
        ("a: \"open\nb: 2\n", 3, "quoted scalar that starts at line 1, column 4"),
    ])
    func yamlErrors(content: String, line: Int, fragment: String) throws {
        let dir = try TemporaryDirectory()
        let error = try #require(registry.load(try dir.write("x.yaml", content)).failure)
        #expect(error.line == line, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    }

    @Test("Multi-line plain scalars and block scalars fold as YAML says")
    func yamlScalars() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("s.yaml", """
            description: first line
              second line
            steps:
              - if true; then
                  echo hi;
                fi
            literal: |
              a
               b
            folded: >-
              x
              y

              z
            quoted: "3.10"
            plain: 3.10
            """)
        guard case .success(.yaml(let y)) = registry.load(p) else { Issue.record("\(registry.load(p))"); return }
        #expect(y["description"] == .scalar("first line second line"))
        #expect(y["steps"] == .sequence([.scalar("if true; then echo hi; fi")]))
        #expect(y["literal"] == .string("a\n b\n"))
        #expect(y["folded"] == .string("x y\nz"))
        // A quoted scalar stays a string when typed; a plain one becomes a number.
        #expect(y["quoted"]?.jsonValue == .string("3.10"))
        #expect(y["plain"]?.jsonValue == .number(3.1))
    }

    @Test("A CSV record with the wrong number of fields is located")
    func csvShape() throws {
        let dir = try TemporaryDirectory()
        let error = try #require(registry.load(try dir.write("t.csv", "a,b,c\n1,2,3\n4,5\n")).failure)
        #expect(error.line == 3)
        #expect(error.description.contains("2 fields; the header has 3"))
        let quote = try #require(registry.load(try dir.write("q.csv", "a,b\n1,x\"y\n")).failure)
        #expect(quote.line == 2 && quote.column == 4)
    }

    @Test("Missing files, directories, unknown and missing extensions are typed errors")
    func dispatchErrors() throws {
        let dir = try TemporaryDirectory()
        let missing = try #require(registry.load(dir.file("nope.json")).failure)
        #expect(missing.underlyingErrno == .noSuchFileOrDirectory)
        #expect(missing.description.contains("nope.json") && missing.description.contains("errno 2"))
        try FileManager.default.createDirectory(atPath: dir.file("d.json").string, withIntermediateDirectories: false)
        #expect(registry.load(dir.file("d.json")).failure?.kind == .notRegularFile)
        #expect(registry.load(try dir.write("x.xml", "<a/>")).failure?.kind == .unsupportedExtension("xml"))
        #expect(registry.load(try dir.write("README", "hi")).failure?.kind == .noExtension)
        guard case .success(.text) = registry.load(dir.file("README"), dispatch: .byExtensionThenContent) else { Issue.record("fallback"); return }
    }

    struct Config: Decodable, Equatable {
        var name: String
        var port: Int
        var tags: [String]
        var debug: Bool
    }

    @Test("JSON and YAML decode into a Decodable type; a wrong shape is a schema error")
    func decode() throws {
        let dir = try TemporaryDirectory()
        let expected = Config(name: "svc", port: 8080, tags: ["a", "b"], debug: true)
        let y = try dir.write("c.yaml", "name: svc\nport: 8080\ntags: [a, b]\ndebug: true\n")
        let j = try dir.write("c.json", #"{"name":"svc","port":8080,"tags":["a","b"],"debug":true}"#)
        #expect(try registry.decode(Config.self, from: y).get() == expected)
        #expect(try registry.decode(Config.self, from: j).get() == expected)
        let wrong = try dir.write("w.json", #"{"name":"svc"}"#)
        guard case .schema = registry.decode(Config.self, from: wrong).failure?.kind else { Issue.record("schema"); return }
    }

    @Test("A custom handler can be registered for a new extension")
    func customHandler() throws {
        var r = FileHandlerRegistry()
        r.register(FileHandler(format: FileFormat("ini")) { bytes in
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            for (n, l) in lines.enumerated() where !l.contains("=") {
                return .failure(ParseProblem("expected key=value on line \(n + 1)", offset: nil))
            }
            return .success(.custom(FileFormat("ini"), lines.count))
        }, extensions: [".ini"])
        let dir = try TemporaryDirectory()
        guard case .success(.custom(let f, let v)) = r.load(try dir.write("a.ini", "a=1\nb=2\n")) else { Issue.record("ini"); return }
        #expect(f == FileFormat("ini") && (v as? Int) == 2)
        #expect(r.load(try dir.write("b.ini", "a=1\nnope\n")).failure != nil)
    }

    @Test("Corrupted and cut copies of valid files never crash and are never silently accepted as something else", arguments: 0..<40)
    func corruption(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        var random = SeededRandom(seed: seed)
        let originals: [(String, String)] = [
            ("a.json", #"{"list": [1, 2.5e3, "x\u00e9", {"k": null}], "t": true}"#),
            ("a.yaml", "root:\n  items:\n    - name: one\n      value: 'q'\n    - [1, 2]\n  text: |\n    line\n"),
            ("a.csv", "a,b,c\n1,\"x,y\",3\n4,5,6\n"),
        ]
        for (name, original) in originals {
            var bytes = Array(original.utf8)
            switch random.next() % 3 {
            case 0: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0..<3 { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
            default:
                bytes[Int(random.next() % UInt64(bytes.count))] = 0
            }
            let p = try dir.write(name, bytes)
            switch registry.load(p) {
            case .success(let content): #expect(content.format == registry.format(forExtensionOf: p))
            case .failure(let e): #expect(!e.description.isEmpty)
            }
        }
    }

    @Test("Pathologically deep nesting is an error, not a stack overflow")
    func deepNesting() throws {
        let dir = try TemporaryDirectory()
        let json = try dir.write("deep.json", String(repeating: "[", count: 100_000))
        #expect(registry.load(json).failure?.description.contains("nesting deeper") == true)
        var yaml = ""
        for level in 0..<2000 { yaml += String(repeating: " ", count: level) + "k:\n" }
        let y = try dir.write("deep.yaml", yaml)
        #expect(registry.load(y).failure?.description.contains("nesting deeper") == true)
        let seq = try dir.write("seq.yaml", String(repeating: "- ", count: 5000) + "x\n")
        #expect(registry.load(seq).failure != nil)
    }

    @Test("A passed deadline stops the read before the first read call")
    func deadline() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("a.json", "[1]")
        let clock = ManualClock()
        let passed = Deadline(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(2))
        #expect(registry.load(p, deadline: passed).failure?.kind == .deadlineExceeded(bytesRead: 0))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
