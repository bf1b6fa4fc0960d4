#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Results

/// What the run shows while it goes: a progress bar with trials per second
/// and the time left on a terminal, a plain line per finished scenario
/// otherwise (a CI log should not fill with carriage returns).
final class Progress: @unchecked Sendable {
    // @unchecked: every var is only touched with `lock` held.
    private let lock = NSLock()
    private let total: Int
    private let start = Monotonic.now
    private let terminal: Bool
    private var done = 0
    private var lastDraw = 0.0
    private var remaining: [String: Int]
    private var errors: [String: [String: Int]] = [:]
    private let output: (String) -> Void

    init(plan: [PlannedTrial], scenarios: [Scenario], alreadyDone: Int, output: @escaping (String) -> Void) {
        total = plan.count
        done = alreadyDone
        terminal = isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
        var remaining: [String: Int] = [:]
        for trial in plan { remaining[scenarios[trial.scenario].id, default: 0] += 1 }
        self.remaining = remaining
        self.output = output
    }

    func finished(_ trial: TrialRecord) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        if !trial.warmup && trial.outcome.isError { errors[trial.scenario, default: [:]][trial.arm.rawValue, default: 0] += 1 }
        remaining[trial.scenario, default: 1] -= 1
        let now = Monotonic.now
        if terminal {
            if now - lastDraw > 0.1 || done == total { draw(now); lastDraw = now }
        } else if remaining[trial.scenario] == 0 {
            let e = errors[trial.scenario] ?? [:]
            output("faultbench: \(trial.scenario): done; errors off \(e["off"] ?? 0), on \(e["on"] ?? 0) (\(done)/\(total) trials)")
        }
    }

    /// Clears the bar before a summary is printed below it.
    func end() {
        lock.lock()
        defer { lock.unlock() }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func draw(_ now: Double) {
        let elapsed = max(now - start, 1e-6)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = String(format: "\r[%@] %d/%d trials  %.1f/s  %d:%02d left", bar, done, total, rate, Int(left) / 60, Int(left) % 60)
        FileHandle.standardError.write(Data(text.utf8))
    }
}
