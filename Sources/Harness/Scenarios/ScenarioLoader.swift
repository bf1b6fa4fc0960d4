#if canImport(Glibc)
import Glibc
#endif

/// Loads scenario files (`scenarios/<pattern>/<name>.yaml`) and suites of
/// them. Everything is checked before anything is mounted; the first problem
/// is thrown as one `ScenarioError` line naming the file, line and field.
public enum ScenarioLoader {
    /// Loads one scenario file. Its id defaults to `<directory>/<file stem>`
    /// (`scenarios/exec-004/disk-full.yaml` → `exec-004/disk-full`).
    public static func load(file path: String) throws(ScenarioError) -> Scenario {
        let bytes = try ScenarioFiles.read(path).get()
        return try parse(bytes, file: path, defaultID: defaultID(for: path))
    }

    /// Parses a scenario from its bytes; `file` names it in errors and in
    /// `Scenario.file`.
    public static func parse(_ bytes: [UInt8], file: String, defaultID: String? = nil) throws(ScenarioError) -> Scenario {
        try ScenarioParser(file: file).parse(bytes, defaultID: defaultID ?? Self.defaultID(for: file))
    }

    /// Parses a scenario from its text.
    public static func parse(yaml: String, file: String, defaultID: String? = nil) throws(ScenarioError) -> Scenario {
        try parse(Array(yaml.utf8), file: file, defaultID: defaultID)
    }

    /// Loads a suite: each path is a scenario file or a directory searched
    /// recursively for `*.yaml` (files and directories whose names start
    /// with `.` are skipped). Scenarios are sorted by id; with `matching`,
    /// only those whose id matches the glob (`*` matches `/` too, so
    /// `*disk-full*` and `exec-004/*` both work). Ids must be unique.
    public static func loadSuite(_ paths: [String], matching glob: String? = nil) throws(ScenarioError) -> [Scenario] {
        var files: [String] = []
        for path in paths {
            if ScenarioFiles.isDirectory(path) {
                files += try ScenarioFiles.yamlFiles(under: path).get()
            } else {
                files.append(path)
            }
        }
        var byID: [String: Scenario] = [:]
        for file in Set(files).sorted() {
            let scenario = try load(file: file)
            if let earlier = byID[scenario.id] {
                throw ScenarioError(file: file, line: idLine(scenario), field: "id",
                                    message: "\(scenario.id) is already the id of \(earlier.file); give each scenario its own id.")
            }
            byID[scenario.id] = scenario
        }
        var scenarios = byID.values.sorted { $0.id < $1.id }
        if let glob {
            scenarios = scenarios.filter { matches(id: $0.id, glob: glob) }
        }
        return scenarios
    }

    /// Whether a suite's id glob matches an id (fnmatch without
    /// FNM_PATHNAME, so `*` also matches `/`).
    public static func matches(id: String, glob: String) -> Bool {
        fnmatch(glob, id, 0) == 0
    }

    /// Whether `faultbench check` should read a file as a scenario rather
    /// than a plan: it lies under a `scenarios/` directory, or its top-level
    /// mapping has a `task:` key.
    public static func isScenario(path: String, text: String) -> Bool {
        if path.split(separator: "/").dropLast().contains("scenarios") { return true }
        guard let root = try? ScenarioParser(file: path).compose(text), let mapping = root.mapping else { return false }
        return mapping.contains { $0.key.string == "task" }
    }

    /// The default `rerun.recovery-cost` in seconds per pattern: the midpoint
    /// of the seed's time lost per failure (../shared/seed/patterns-facts.md).
    public static var recoveryCostDefaults: [String: Double] { ScenarioParser.recoveryCostDefaults }

    /// `<parent directory>/<file stem>`, or the stem alone for a file with no directory.
    public static func defaultID(for path: String) -> String {
        let parts = path.split(separator: "/")
        guard let last = parts.last else { return path }
        let stem = last.hasSuffix(".yaml") ? String(last.dropLast(5)) : last.hasSuffix(".yml") ? String(last.dropLast(4)) : String(last)
        guard parts.count >= 2 else { return stem }
        return "\(parts[parts.count - 2])/\(stem)"
    }

    private static func idLine(_ scenario: Scenario) -> Int? {
        guard let bytes = try? ScenarioFiles.read(scenario.file).get(),
              let root = try? ScenarioParser(file: scenario.file).compose(String(decoding: bytes, as: UTF8.self)),
              let pair = root.mapping?.first(where: { $0.key.string == "id" }) else { return nil }
        return pair.value.mark?.line
    }
}
