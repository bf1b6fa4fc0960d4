import ExecutionPatterns
import ExecutorContract
import Foundation
import SystemCalls
import SystemPackage

/// `planning-loop`: refine an estimate read from a state file until two
/// successive estimates differ by less than the tolerance (docs/TASKS.md).
///
/// The state file is a JSON object, re-read on every iteration because
/// another process may update the measurement:
/// `{"target": 100, "estimate": 0, "gain": 0.5, "tolerance": 0.000001}`.
/// Each iteration moves the estimate by `gain` times the gap to `target`:
/// `next = current + gain * (target - current)`. With 0 < gain < 2 the gap
/// shrinks geometrically and the loop converges; with gain 2 every step
/// overshoots by exactly the gap, so the estimate oscillates between two
/// values forever (a badly tuned controller); above 2 it diverges.
/// The output is `{"estimate":E,"iterations":N}` (sorted keys, compact).
enum PlanningLoopTask {
    /// What one read of the state file gives.
    struct PlanState {
        var target: Double
        var estimate: Double
        var gain: Double
        var tolerance: Double

        func next(after current: Double) -> Double { current + gain * (target - current) }
    }

    /// Ordinary code: loop until converged, with no limit; a read or parse
    /// error is a failure claim.
    static func off(_ task: TaskSpec.PlanningLoop) -> Claim {
        var estimate: Double? = nil
        var iterations = 0
        do {
            while true {
                iterations += 1
                let state = try plainState(try PlainFiles.read(task.state), path: task.state)
                let current = estimate ?? state.estimate
                let next = state.next(after: current)
                if abs(next - current) < state.tolerance {
                    try PlainFiles.write(try output(next, iterations), to: task.output)
                    return Claim(status: .success, produced: [task.output])
                }
                estimate = next
                if let interval = task.interval, interval > 0 { Syscall.sleep(nanoseconds: UInt64(min(interval, 3.2e9) * 1e9)) }
            }
        } catch {
            return .failure(error)
        }
    }

    /// PATTERN-001: `runPlanningLoop` under a budget of iterations and wall
    /// time, whose deadline also bounds each read (EXEC-001 typed load) and
    /// its retries (PATTERN-003); the converged plan is written with EXEC-004
    /// and checked with PATTERN-002.
    static func on(_ task: TaskSpec.PlanningLoop, _ patterns: PatternSelection) async -> Claim {
        var io = OnArmIO(patterns)
        struct Progress: Sendable {
            var estimate: Double?
            var previous: Double?
            var iterations = 0
            var converged: Double?
        }
        let limits = patterns.planningBudget
            ? BudgetLimits(maxIterations: task.maxIterations ?? 50, maxWallTime: .taskSeconds(task.budget ?? 5))
            : BudgetLimits(maxIterations: Int.max)
        let budget = PlanningBudget(limits)
        let outcome = await runPlanningLoop(budget: budget, initial: Progress()) { progress, budget in
            progress.iterations += 1
            let deadline = patterns.planningBudget ? budget.deadline : nil
            let state = try io.retried("reading \(task.state)", within: deadline) { try readState(task.state, typed: patterns.typeSafeFiles, deadline: deadline) }
            let current = progress.estimate ?? state.estimate
            let next = state.next(after: current)
            progress.previous = current
            progress.estimate = next
            if abs(next - current) < state.tolerance {
                progress.converged = next
                return .finished(cost: 0)
            }
            if let interval = task.interval, interval > 0 {
                let wait = Duration.taskSeconds(interval)
                try await Task.sleep(for: deadline.map { min(wait, $0.remaining) } ?? wait)
            }
            return .proceed(cost: 0)
        }
        do {
            switch outcome {
            case .completed(let progress, _):
                try io.writeFile(try output(progress.converged ?? 0, progress.iterations), to: task.output)
                return Claim(status: .success, produced: [task.output], attempts: io.attempts)
            case .budgetExhausted(let dimension, let progress, let usage):
                let last = progress.estimate.map { e in progress.previous.map { " The last two estimates were \($0) and \(e)." } ?? "" } ?? ""
                let name = switch dimension { case .iterations: "iteration"; case .wallTime: "wall-time"; case .cost: "cost" }
                throw TaskError("The plan did not converge within its budget: the \(name) budget ran out (\(usage)).\(last)")
            case .failed(_, let progress, let usage) where patterns.planningBudget && budget.exhausted == .wallTime:
                // A read cut short by the budget's deadline: the budget is the cause.
                throw TaskError("The plan did not converge within its budget: the wall-time budget ran out during iteration \(progress.iterations) (\(usage)).")
            case .failed(let error, _, _):
                throw error
            }
        } catch {
            return .failure(error, attempts: io.attempts)
        }
    }

    static func output(_ estimate: Double, _ iterations: Int) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: ["estimate": estimate, "iterations": iterations], options: [.sortedKeys]))
    }

    /// The usual parse: JSONSerialization, numbers taken where they are.
    static func plainState(_ bytes: [UInt8], path: String) throws -> PlanState {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw TaskError("\(path) does not hold a JSON object.")
        }
        guard let target = (object["target"] as? NSNumber)?.doubleValue else { throw TaskError("\(path) has no numeric 'target'.") }
        return PlanState(target: target,
                         estimate: (object["estimate"] as? NSNumber)?.doubleValue ?? 0,
                         gain: (object["gain"] as? NSNumber)?.doubleValue ?? 0.5,
                         tolerance: (object["tolerance"] as? NSNumber)?.doubleValue ?? 1e-6)
    }

    /// EXEC-001's typed load when on (every field's type checked), the plain read otherwise.
    static func readState(_ path: String, typed: Bool, deadline: Deadline?) throws -> PlanState {
        guard typed else { return try plainState(try PlainFiles.read(path), path: path) }
        var registry = FileHandlerRegistry()
        registry.register(.json, extensions: [FilePath(path).extension ?? "json"])
        let document: JSONValue
        switch try registry.load(FilePath(path), dispatch: .byExtensionThenContent, deadline: deadline).get() {
        case .json(let value): document = value
        default: throw TaskError("\(path) is not a JSON document.")
        }
        func number(_ key: String, _ fallback: Double?) throws -> Double {
            switch document[key] {
            case .number(let d)?: return d
            case nil where fallback != nil: return fallback!
            case nil: throw TaskError("\(path) has no '\(key)'; it must be a number.")
            case let other?: throw TaskError("\(path): '\(key)' is \(ReadConfigTask.describe(other)), but it must be a number.")
            }
        }
        let state = PlanState(target: try number("target", nil), estimate: try number("estimate", 0),
                              gain: try number("gain", 0.5), tolerance: try number("tolerance", 1e-6))
        guard state.tolerance > 0, state.target.isFinite, state.estimate.isFinite, state.gain.isFinite else {
            throw TaskError("\(path): target, estimate and gain must be finite and tolerance positive.")
        }
        return state
    }
}
