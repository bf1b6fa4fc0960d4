/// Which patterns the pattern-on arm applies to one task.
///
/// The task's `patterns` (the scenario's) name them; when it names none,
/// every pattern that applies to the task kind is on. A named pattern that
/// does not apply to the kind is ignored. A pattern that is off leaves that
/// step as the pattern-off arm does it, so the two arms differ by exactly
/// the patterns the scenario measures.
struct PatternSelection: Sendable {
    enum Kind { case writeFile, readConfig, batch, runTools, planningLoop }

    /// EXEC-001: load and validate configuration and state files with `FileHandlerRegistry`.
    let typeSafeFiles: Bool
    /// EXEC-002: `BatchExecutor` (validate every precondition, roll back midway).
    let batchValidation: Bool
    /// EXEC-003: `ToolGuard` (check every tool first, run with a timeout).
    let toolGuards: Bool
    /// EXEC-004: `AtomicFile` for every file written.
    let atomicWrites: Bool
    /// PATTERN-001: `PlanningBudget` and `runPlanningLoop`.
    let planningBudget: Bool
    /// PATTERN-002: `GroundTruthVerifier` on every output.
    let verification: Bool
    /// PATTERN-003: `Retrier` around idempotent I/O.
    let retry: Bool

    /// The patterns that apply to each kind of task.
    static func applicable(to kind: Kind) -> Set<String> {
        switch kind {
        case .writeFile: ["EXEC-004", "PATTERN-002", "PATTERN-003"]
        case .readConfig: ["EXEC-001", "EXEC-004", "PATTERN-002", "PATTERN-003"]
        case .batch: ["EXEC-002", "EXEC-004", "PATTERN-002", "PATTERN-003"]
        case .runTools: ["EXEC-003", "EXEC-004", "PATTERN-002"]
        case .planningLoop: ["PATTERN-001", "EXEC-001", "EXEC-004", "PATTERN-002", "PATTERN-003"]
        }
    }

    init(_ named: [String], for kind: Kind) {
        let applicable = Self.applicable(to: kind)
        let chosen = named.isEmpty ? applicable : applicable.intersection(named.map { $0.uppercased() })
        typeSafeFiles = chosen.contains("EXEC-001")
        batchValidation = chosen.contains("EXEC-002")
        toolGuards = chosen.contains("EXEC-003")
        atomicWrites = chosen.contains("EXEC-004")
        planningBudget = chosen.contains("PATTERN-001")
        verification = chosen.contains("PATTERN-002")
        retry = chosen.contains("PATTERN-003")
    }
}
