import ExecutorContract

/// `write-file`: write or replace one file (docs/TASKS.md).
enum WriteFileTask {
    /// Ordinary code: open with O_TRUNC, write in chunks (short writes
    /// continued), close; every reported error is a failure claim.
    static func off(_ task: TaskSpec.WriteFile) -> Claim {
        do {
            let bytes = try task.content.bytes()
            try PlainFiles.write(bytes, to: task.path, chunk: task.chunk ?? (64 << 10))
            return Claim(status: .success, produced: [task.path])
        } catch {
            return .failure(error)
        }
    }

    /// EXEC-004 atomic write, PATTERN-002 check of the bytes on disk (one
    /// rewrite), PATTERN-003 retry of transient errors.
    static func on(_ task: TaskSpec.WriteFile, _ patterns: PatternSelection) -> Claim {
        var io = OnArmIO(patterns)
        do {
            let bytes = try task.content.bytes()
            try io.writeFile(bytes, to: task.path, chunk: task.chunk)
            return Claim(status: .success, produced: [task.path], attempts: io.attempts)
        } catch {
            return .failure(error, attempts: io.attempts)
        }
    }
}
