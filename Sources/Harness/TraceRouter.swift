import Foundation

/// Hands each trial the fault-trace lines of its own rules.
///
/// The filesystem keeps one trace for the whole mount; concurrent trials
/// drain it through here, and every line goes to the trial whose id
/// prefixes the rule's name (`t000042.torn`), whoever drained it.
final class TraceRouter: @unchecked Sendable {
    // @unchecked: `buckets` is only touched with `lock` held.
    private let lock = NSLock()
    private var buckets: [String: [String]] = [:]
    private let mount: RunMount

    init(mount: RunMount) { self.mount = mount }

    /// Drains the mount's trace and returns (and forgets) the lines of `trial`.
    func collect(for trial: String) -> Result<[String], HarnessError> {
        lock.lock()
        defer { lock.unlock() }
        switch mount.request(.trace(drain: true)) {
        case .failure(let error):
            return .failure(error)
        case .success(let reply):
            for line in reply.lines ?? [] {
                guard let owner = Self.trial(of: line) else { continue }
                buckets[owner, default: []].append(line)
            }
        }
        return .success(buckets.removeValue(forKey: trial) ?? [])
    }

    /// The trial id in a trace line's `"rule":"tNNNNNN.name"`.
    static func trial(of line: String) -> String? {
        guard let start = line.range(of: "\"rule\":\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        return String(rest[..<dot])
    }
}
