#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Harness
import Testing

/// scenarios/schema.json, checked with Python's `jsonschema` (Draft 2020-12):
/// every scenario of the suite validates, and malformed ones do not; the
/// loader refuses the same malformed ones.
@Suite("Scenario JSON Schema")
struct ScenarioSchemaTests {
    /// The Python with `jsonschema` and PyYAML: FAULTBENCH_PYTHON, else pyenv's, else python3 on PATH.
    static var python: String {
        if let chosen = getenv("FAULTBENCH_PYTHON").map({ String(cString: $0) }), !chosen.isEmpty { return chosen }
        return access("/root/.pyenv/shims/python3", X_OK) == 0 ? "/root/.pyenv/shims/python3" : "python3"
    }

    static let checker = #"""
    import glob, json, sys
    import jsonschema, yaml
    schema_path, valid_dir, invalid_dir = sys.argv[1:4]
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sorted(glob.glob(valid_dir + "/**/*.yaml", recursive=True)):
        errors = list(validator.iter_errors(yaml.safe_load(open(path))))
        print(("valid " if not errors else "INVALID ") + path + "".join(" | " + e.message[:120] for e in errors[:2]))
        bad += bool(errors)
    for path in sorted(glob.glob(invalid_dir + "/*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(open(path))))
        print(("rejected " if errors else "ACCEPTED ") + path)
        bad += not errors
    sys.exit(1 if bad else 0)
    """#

    static let base = """
    title: t
    description: d
    patterns: [EXEC-004]
    task: {kind: write-file, path: a.txt, content: {text: hi}}
    expect: {files: [{path: a.txt, content: hi}]}

    """

    /// Malformed scenarios that both the schema and the loader refuse.
    static let invalid: [String: String] = [
        "no-title": base.replacingOccurrences(of: "title: t\n", with: ""),
        "unknown-key": base + "colour: red\n",
        "bad-pattern": base.replacingOccurrences(of: "EXEC-004", with: "EXEC-009"),
        "absolute-path": base.replacingOccurrences(of: "path: a.txt, content: {text", with: "path: /etc/passwd, content: {text"),
        "escaping-path": base + "setup: {dirs: [../up]}\n",
        "bad-kind": base.replacingOccurrences(of: "write-file", with: "compile"),
        "task-unknown-field": base.replacingOccurrences(of: "content: {text: hi}}", with: "content: {text: hi}, colour: red}"),
        "two-contents": base.replacingOccurrences(of: "{text: hi}", with: "{text: hi, base64: aGk=}"),
        "bad-fault": base + "faults: {rules: [{fault: meteor}]}\n",
        "rule-unknown-field": base + "faults: {rules: [{fault: missing, colour: red}]}\n",
        "errno-without-errno": base + "faults: {rules: [{fault: errno}]}\n",
        "probability-range": base + "faults: {rules: [{fault: missing, probability: 1.5}]}\n",
        "bad-arm": base + "faults: {arm: later}\n",
        "two-exact-checks": base.replacingOccurrences(of: "{path: a.txt, content: hi}", with: "{path: a.txt, content: hi, sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824}"),
        "bad-format": base.replacingOccurrences(of: "{path: a.txt, content: hi}", with: "{path: a.txt, format: xml}"),
        "nameless-consistent": base.replacingOccurrences(of: "content: hi}]}", with: "content: hi}], consistent: [{absent: [a.txt]}]}"),
        "zero-trials": base + "trials: 0\n",
        "bad-timeout": base + "timeout: soon\n",
        "copy-without-to": base.replacingOccurrences(of: "{kind: write-file, path: a.txt, content: {text: hi}}", with: "{kind: batch, operations: [{op: copy, path: a}]}"),
        "tool-without-shebang": base + "setup: {tools: [{name: x, script: echo}]}\n",
    ]

    @Test("the suite validates against the schema; malformed scenarios do not, and the loader refuses them too")
    func schema() throws {
        let dir = try TemporaryDirectory("schema")
        defer { try? dir.remove() }
        try dir.makeDirectory("invalid")
        for (name, text) in Self.invalid {
            try write(dir.path("invalid/\(name).yaml"), text)
            #expect(throws: ScenarioError.self, "the loader accepts \(name)") {
                try ScenarioLoader.parse(yaml: text, file: "\(name).yaml")
            }
        }
        try write(dir.path("check.py"), Self.checker)
        let result = try Tool.run(Self.python, [dir.path("check.py"), scenariosDirectory + "/schema.json", scenariosDirectory, dir.path("invalid")],
                                  timeout: 120)
        #expect(result.exit == .exited(0), "\(result)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("valid ") }.count >= 28, "\(result.stdout)")
        #expect(lines.filter { $0.hasPrefix("rejected ") }.count == Self.invalid.count, "\(result.stdout)")
    }
}
