import ExecutorContract
import FaultEngine
import Foundation
import Results
import Yams

/// Decides what really happened in a trial, from the ground truth on the
/// backing directory, the claim and how the process ended. It never trusts
/// the claim alone (DESIGN.md, "Executors and the oracle").
struct Oracle {
    let scenario: Scenario
    var cache = BytesCache()

    /// What the oracle was given about one trial.
    struct Evidence {
        var claim: Claim?
        var timedOut: Bool
        var exitCode: Int32?
        var signal: Int32?
        /// Whether the filesystem killed a process of this trial on purpose
        /// (a kill-caller or power-loss fired, by the trace).
        var killedByFault: Bool
    }

    struct Verdict {
        var outcome: Outcome
        var reason: String
    }

    /// Classifies a trial.
    func judge(_ evidence: Evidence, truth: GroundTruth) -> Verdict {
        if evidence.timedOut {
            return Verdict(outcome: .hang, reason: "ran past the \(format(scenario.timeout)) s limit and was killed.")
        }
        let correct = failures(of: scenario.expect.correct, in: truth)
        let consistentState = correct.isEmpty ? "the correct state"
            : scenario.expect.consistent.first { failures(of: $0.state, in: truth).isEmpty }.map { "'\($0.name)'" }
        let damage = correct.first ?? ""

        if evidence.killedByFault && evidence.signal == 9 {
            if let consistentState {
                return Verdict(outcome: .detected, reason: "killed by the injected crash; the surviving state is consistent (\(consistentState)).")
            }
            return Verdict(outcome: .corrupt, reason: "killed by the injected crash, and the surviving state is inconsistent: \(damage)")
        }
        guard let claim = evidence.claim else {
            let how = evidence.signal.map { "died on signal \($0)" } ?? "exited with code \(evidence.exitCode ?? -1)"
            return Verdict(outcome: .crash, reason: "\(how) without a claim as its last line of output.")
        }
        if let signal = evidence.signal {
            return Verdict(outcome: .crash, reason: "printed a claim but then died on signal \(signal).")
        }
        // The contract (docs/TASKS.md): exit status 0 whenever a claim was
        // printed. A program that prints its claim and then fails (an
        // exception on the way out, a failed flush at exit) did not finish
        // the way it says, whatever the state.
        if let code = evidence.exitCode, code != 0 {
            return Verdict(outcome: .crash, reason: "printed a claim but then exited with code \(code); a claim comes with exit status 0.")
        }
        switch claim.status {
        case .success:
            if correct.isEmpty { return Verdict(outcome: .success, reason: "claimed success, and the state is correct.") }
            if let consistentState {
                return Verdict(outcome: .silent, reason: "claimed success, but the state is \(consistentState), not the correct one: \(damage)")
            }
            return Verdict(outcome: .corrupt, reason: "claimed success over an inconsistent state: \(damage)")
        case .failure:
            let error = claim.error.map { " (\($0.prefix(160)))" } ?? ""
            if let consistentState {
                return Verdict(outcome: .detected, reason: "reported the failure\(error), and the state is consistent (\(consistentState)).")
            }
            return Verdict(outcome: .corrupt, reason: "reported a failure\(error), but left an inconsistent state: \(damage)")
        }
    }

    /// Every condition of `state` that the tree does not meet, as sentences; empty when it holds.
    func failures(of state: Scenario.State, in truth: GroundTruth) -> [String] {
        var problems: [String] = []
        for condition in state.files {
            guard let bytes = truth.files[condition.path] else {
                problems.append("\(condition.path) does not exist.")
                continue
            }
            for check in condition.checks {
                if let problem = self.problem(check, path: condition.path, bytes: bytes) { problems.append(problem) }
            }
        }
        for pattern in state.absent {
            guard let glob = try? Glob(pattern) else { continue }
            if let found = truth.entries.first(where: { glob.matches($0) }) {
                problems.append("\(found) exists, matching '\(pattern)', which must not.")
            }
        }
        return problems
    }

    private func problem(_ check: Scenario.Check, path: String, bytes: [UInt8]) -> String? {
        switch check {
        case .bytes(let expected):
            let want = cache.bytes(expected)
            if bytes == want { return nil }
            return "\(path) has \(bytes.count) bytes that differ from the \(want.count) expected\(firstDifference(bytes, want))."
        case .sha256(let hash):
            let actual = GroundTruth.sha256(bytes)
            return actual == hash.lowercased() ? nil : "\(path) has SHA-256 \(actual.prefix(12))..., not \(hash.prefix(12))...."
        case .minimumSize(let size):
            return bytes.count >= size ? nil : "\(path) has \(bytes.count) bytes, fewer than \(size)."
        case .format(let format):
            return Self.parses(bytes, as: format) ? nil : "\(path) does not parse as \(format)."
        case .unchanged:
            guard let setup = scenario.setup.files.first(where: { $0.path == path }) else {
                return "\(path) has no setup content to compare with."
            }
            let want = cache.bytes(setup.bytes)
            return bytes == want ? nil : "\(path) changed from its setup content\(firstDifference(bytes, want))."
        }
    }

    private func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        // A plain loop over the buffers: files are up to megabytes, and a
        // closure per byte is slow in an unoptimised build.
        let common = a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var i = 0
                let end = min(x.count, y.count)
                while i < end && x[i] == y[i] { i += 1 }
                return i
            }
        }
        if a.count != b.count && common == min(a.count, b.count) { return " (\(a.count) bytes where \(b.count) were expected)" }
        return " (first difference at byte \(common))"
    }

    /// Whether the bytes are well-formed in `format`.
    static func parses(_ bytes: [UInt8], as format: String) -> Bool {
        switch format {
        case "json":
            return (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
        case "yaml":
            guard let text = String(validating: bytes, as: UTF8.self) else { return false }
            return (try? Yams.compose(yaml: text)) != nil
        case "csv":
            guard let text = String(validating: bytes, as: UTF8.self), !text.isEmpty else { return false }
            let rows = text.split(separator: "\n", omittingEmptySubsequences: true)
            let widths = Set(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false).count })
            return widths.count == 1 && text.hasSuffix("\n")
        default:
            return false
        }
    }

    private func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
