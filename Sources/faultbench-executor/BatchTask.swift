import ExecutionPatterns
import ExecutorContract
import SystemPackage

/// `batch`: reads, writes, copies, moves and deletes that belong together
/// (docs/TASKS.md). The task succeeds only if every operation does.
enum BatchTask {
    /// Ordinary code: the operations in order, each with the plain call
    /// (read; open+write+close; read then write; rename; unlink); it stops at
    /// the first error, and what was done before stays done.
    static func off(_ task: TaskSpec.Batch) -> Claim {
        var produced: [String] = []
        for (index, op) in task.operations.enumerated() {
            do {
                try runPlain(op, produced: &produced) { bytes, path in try PlainFiles.write(bytes, to: path) }
            } catch {
                return .failure(TaskError("Operation \(index + 1) (\(op.op) \(op.path)) failed: \(error)"), produced: produced)
            }
        }
        return Claim(status: .success, produced: produced)
    }

    /// EXEC-002 `BatchExecutor`: every precondition first, rollback on a
    /// failure midway, atomic writes (EXEC-004) inside; PATTERN-003 reruns the
    /// whole batch when it was rolled back cleanly after a transient error;
    /// PATTERN-002 reads the written files back.
    static func on(_ task: TaskSpec.Batch, _ patterns: PatternSelection) async -> Claim {
        var io = OnArmIO(patterns)
        do {
            let plan = try task.operations.map { op in (op, try op.content?.bytes()) }
            var produced: [String] = []
            if patterns.batchValidation {
                produced = try await runValidated(plan, io: &io)
            } else {
                // Without EXEC-002, the plain sequence, with the other patterns on its writes.
                for (index, (op, _)) in plan.enumerated() {
                    do {
                        try runPlain(op, produced: &produced) { bytes, path in try io.writeFile(bytes, to: path) }
                    } catch {
                        return .failure(TaskError("Operation \(index + 1) (\(op.op) \(op.path)) failed: \(error)"), produced: produced, attempts: io.attempts)
                    }
                }
            }
            if patterns.verification {
                let expectations = finalWrites(plan).map { FileExpectation(FilePath($0.path), [.contentEquals($0.bytes)]) }
                let failures = GroundTruthVerifier().check(expectations).failures
                if !failures.isEmpty {
                    return .failure(TaskError("The batch reported success, but the files on disk are wrong: \(failures.map(\.description).joined(separator: "; "))."),
                                    produced: produced, attempts: io.attempts)
                }
            }
            return Claim(status: .success, produced: produced, attempts: io.attempts)
        } catch {
            return .failure(error, attempts: io.attempts)
        }
    }

    /// The files whose final content the batch fixes by a write: the last
    /// write to each path, unless a later copy, move or delete replaced it.
    static func finalWrites(_ plan: [(TaskSpec.Batch.Operation, [UInt8]?)]) -> [(path: String, bytes: [UInt8])] {
        var known: [String: [UInt8]] = [:]
        var order: [String] = []
        for (op, bytes) in plan {
            switch op.op {
            case "write":
                known[op.path] = bytes
                if !order.contains(op.path) { order.append(op.path) }
            case "copy", "move":
                if let to = op.to { known[to] = nil }
                if op.op == "move" { known[op.path] = nil }
            case "delete":
                known[op.path] = nil
            default:
                break
            }
        }
        return order.compactMap { path in known[path].map { (path, $0) } }
    }

    /// One operation as plain code; `write` writes a whole file.
    static func runPlain(_ op: TaskSpec.Batch.Operation, produced: inout [String], write: ([UInt8], String) throws -> Void) throws {
        switch op.op {
        case "read":
            _ = try PlainFiles.read(op.path)
        case "write":
            guard let content = op.content else { throw TaskError("a write needs content") }
            try write(try content.bytes(), op.path)
            produced.appendOnce(op.path)
        case "copy":
            let to = try destination(op)
            try write(try PlainFiles.read(op.path), to)
            produced.appendOnce(to)
        case "move":
            let to = try destination(op)
            try PlainFiles.rename(op.path, to: to)
            produced.removeAll { $0 == op.path }
            produced.appendOnce(to)
        case "delete":
            try PlainFiles.unlink(op.path)
            produced.removeAll { $0 == op.path }
        default:
            throw TaskError("'\(op.op)' is not a batch operation; use read, write, copy, move or delete")
        }
    }

    static func destination(_ op: TaskSpec.Batch.Operation) throws -> String {
        guard let to = op.to else { throw TaskError("a \(op.op) needs 'to'") }
        return to
    }

    /// The batch through `BatchExecutor`, rerun (PATTERN-003) only when a
    /// transient error stopped it and the rollback undid everything.
    private static func runValidated(_ plan: [(TaskSpec.Batch.Operation, [UInt8]?)], io: inout OnArmIO) async throws -> [String] {
        var batch = BatchExecutor()
        var produced: [String] = []
        for (index, (op, bytes)) in plan.enumerated() {
            let name = "\(index + 1) \(op.op) \(op.path)"
            let path = FilePath(op.path)
            switch op.op {
            case "read": batch.add(BatchOperation(name, .read(path)))
            case "write": batch.add(BatchOperation(name, .write(path, bytes ?? [])))
            case "copy": batch.add(BatchOperation(name, .copy(from: path, to: FilePath(try destination(op)))))
            case "move": batch.add(BatchOperation(name, .move(from: path, to: FilePath(try destination(op)))))
            case "delete": batch.add(BatchOperation(name, .delete(path)))
            default: throw TaskError("Operation \(index + 1): '\(op.op)' is not a batch operation; use read, write, copy, move or delete.")
            }
            if op.op == "write" && bytes == nil { throw TaskError("Operation \(index + 1): a write needs content.") }
            switch op.op {
            case "write": produced.appendOnce(op.path)
            case "copy", "move":
                if op.op == "move" { produced.removeAll { $0 == op.path } }
                produced.appendOnce(try destination(op))
            case "delete": produced.removeAll { $0 == op.path }
            default: break
            }
        }
        let classifier = OnArmIO.policy.classifier
        let retry = io.patterns.retry
        var runs = 0
        while true {
            runs += 1
            switch await batch.execute() {
            case .applied:
                io.addAttempts(runs - 1)
                return produced
            case .rejected(let failures):
                io.addAttempts(runs - 1)
                throw TaskError("The batch was not started: \(failures.count) precondition\(failures.count == 1 ? "" : "s") failed: "
                                + failures.map(\.description).joined(separator: " "))
            case .rolledBack(let failed, let undone, let rollbackFailures):
                let transient = classifier.classify(failed.underlying) == .transient
                if retry && transient && rollbackFailures.isEmpty && runs < OnArmIO.policy.maxAttempts {
                    try await Task.sleep(for: .milliseconds(20 << (runs - 1)))
                    continue
                }
                io.addAttempts(runs - 1)
                let rollback = rollbackFailures.isEmpty
                    ? "everything done before was undone (\(undone.count) operation\(undone.count == 1 ? "" : "s"))"
                    : "the rollback was incomplete: " + rollbackFailures.joined(separator: " ")
                throw TaskError("\(failed) The batch was stopped and \(rollback).")
            }
        }
    }
}

extension [String] {
    /// Appends a path unless it is already listed (a file written twice is produced once).
    mutating func appendOnce(_ path: String) {
        if !contains(path) { append(path) }
    }
}
