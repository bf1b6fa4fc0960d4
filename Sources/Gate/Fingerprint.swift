import Results

/// What must be the same on both sides before two results are compared or
/// merged: the machine (kernel, libfuse, CPU count and model, the backing
/// filesystem), how the filesystem was mounted, and the scenario files.
///
/// The run's seed and paths are left out of the mount options (a baseline
/// run with another seed measures the same thing), and so are the git commit
/// and faultbench's version: comparing two versions is what the gate is for.
public struct Fingerprint: Codable, Sendable, Hashable {
    public var kernel: String
    public var libfuse: String
    public var mountOptions: [String]
    public var cpuCount: Int
    public var cpuModel: String
    public var backingFilesystem: String
    /// Scenario id to the SHA-256 of its file.
    public var scenarios: [String: String]

    public init(_ run: RunResult) {
        let env = run.environment
        kernel = env.kernel
        libfuse = env.libfuse
        mountOptions = Self.normalised(env.mountOptions)
        cpuCount = env.cpuCount
        cpuModel = env.cpuModel
        backingFilesystem = env.backingFilesystem
        scenarios = Dictionary(run.scenarios.map { ($0.id, $0.sha256) }, uniquingKeysWith: { first, _ in first })
    }

    /// Mount options without the seed's value, which is the run's and not the machine's.
    static func normalised(_ options: [String]) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for option in options {
            if skipNext { skipNext = false; continue }
            if option == "--seed" { skipNext = true; continue }
            if option.hasPrefix("--seed=") { continue }
            kept.append(option)
        }
        return kept
    }

    /// What differs, one sentence each, naming the baseline's value first; empty when nothing does.
    public func differences(from baseline: Fingerprint) -> [String] {
        var out: [String] = []
        func field(_ name: String, _ old: String, _ new: String) {
            if old != new { out.append("\(name): '\(old)' in the baseline, '\(new)' in the result") }
        }
        field("kernel", baseline.kernel, kernel)
        field("libfuse", baseline.libfuse, libfuse)
        field("mount options", baseline.mountOptions.joined(separator: " "), mountOptions.joined(separator: " "))
        field("CPU count", String(baseline.cpuCount), String(cpuCount))
        field("CPU model", baseline.cpuModel, cpuModel)
        field("backing filesystem", baseline.backingFilesystem, backingFilesystem)
        for id in Set(baseline.scenarios.keys).union(scenarios.keys).sorted() {
            switch (baseline.scenarios[id], scenarios[id]) {
            case (let old?, let new?) where old != new:
                out.append("scenario \(id): its file changed (sha256 \(old.prefix(12)) in the baseline, \(new.prefix(12)) in the result)")
            case (_?, nil): out.append("scenario \(id): in the baseline only")
            case (nil, _?): out.append("scenario \(id): in the result only")
            default: break
            }
        }
        return out
    }
}
