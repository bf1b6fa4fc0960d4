#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// EXEC-002: checks every precondition of every operation before running any, and undoes the batch if one fails midway.
///
/// Validation walks the operations in dependency order over a model of the
/// files: a file that an earlier operation writes counts as present, one it
/// deletes counts as gone. It checks that sources exist and are readable
/// (and, for a move, that their directory is writable), that target
/// directories exist and are writable, that each filesystem has room for the
/// bytes the batch writes to it, that tools are on PATH with the versions
/// `require(_:)` asks for, and that their working directories exist, and
/// reports every failure at once. Execution backs up what it replaces
/// (a hard link, or a copy for files a tool may change in place) and
/// deletes by renaming aside, so each step has a compensating action; on a
/// failure those run in reverse, and never remove or overwrite the only copy
/// of a file (a step that threw after reaching the disk is undone as well).
/// Backups are removed when the batch is applied.
///
/// Limits: the batch is all-or-nothing for the process that runs it, not
/// across a crash (that would need a journal); a crash midway leaves
/// `.name.batch-backup.*` files next to the changed files. Another process
/// changing the same files meanwhile is not detected.
///
/// Anti-pattern: executing, then validating (or validating only the first
/// operation), and stopping at the first failure with half the batch applied.
public struct BatchExecutor: Sendable {
    public private(set) var operations: [BatchOperation] = []
    public var tools: ToolGuard
    /// Version requirements of the tools the batch runs, checked before anything runs (see `require(_:)`).
    public private(set) var toolRequirements: [ToolRequirement] = []

    public init(tools: ToolGuard = ToolGuard()) {
        self.tools = tools
    }

    /// Appends an operation.
    public mutating func add(_ operation: BatchOperation) {
        operations.append(operation)
    }

    /// Requires a tool the batch runs to be of at least this version (checked by `execute` and `validateIncludingToolVersions`).
    public mutating func require(_ requirement: ToolRequirement) {
        toolRequirements.append(requirement)
    }

    // MARK: - Order

    /// The operations in dependency order (stable: otherwise in the order added), or the cycle that prevents it.
    func ordered() -> (order: [BatchOperation], failures: [PreconditionFailure]) {
        var failures: [PreconditionFailure] = []
        var byName: [String: Int] = [:]
        for (i, op) in operations.enumerated() {
            if byName[op.name] != nil { failures.append(PreconditionFailure(operation: op.name, kind: .duplicateName)) }
            byName[op.name] = byName[op.name] ?? i
        }
        for op in operations {
            for d in op.dependencies where byName[d] == nil {
                failures.append(PreconditionFailure(operation: op.name, kind: .unknownDependency(d)))
            }
        }
        if !failures.isEmpty { return ([], failures) }
        var indegree = operations.map { op in Set(op.dependencies).count }
        var dependents: [[Int]] = Array(repeating: [], count: operations.count)
        for (i, op) in operations.enumerated() {
            for d in Set(op.dependencies) { dependents[byName[d]!].append(i) }
        }
        var ready = indegree.indices.filter { indegree[$0] == 0 }
        var order: [BatchOperation] = []
        while !ready.isEmpty {
            ready.sort()
            let i = ready.removeFirst()
            order.append(operations[i])
            for j in dependents[i] {
                indegree[j] -= 1
                if indegree[j] == 0 { ready.append(j) }
            }
        }
        if order.count < operations.count {
            // Follow dependencies among the remaining operations until one repeats.
            let left = Set(indegree.indices.filter { indegree[$0] > 0 })
            var path: [Int] = []
            var current = left.min()!
            while !path.contains(current) {
                path.append(current)
                current = operations[current].dependencies.compactMap { byName[$0] }.first { left.contains($0) } ?? current
            }
            let cycle = path[path.firstIndex(of: current)!...].map { operations[$0].name } + [operations[current].name]
            return ([], [PreconditionFailure(operation: operations[current].name, kind: .dependencyCycle(cycle))])
        }
        return (order, [])
    }

    // MARK: - Validation

    /// Every precondition that does not hold; empty means the batch may run.
    public func validate() -> [PreconditionFailure] {
        let (order, orderFailures) = ordered()
        if !orderFailures.isEmpty { return orderFailures }
        var failures: [PreconditionFailure] = []
        var model = FileModel()
        var bytesPerDevice: [UInt64: (dir: FilePath, bytes: UInt64, operation: String)] = [:]

        func fail(_ op: BatchOperation, _ kind: PreconditionFailure.Kind) {
            failures.append(PreconditionFailure(operation: op.name, kind: kind))
        }
        /// Checks a source and returns its size if known.
        func source(_ op: BatchOperation, _ path: FilePath) -> (size: UInt64, device: UInt64)? {
            let key = FileModel.key(path)
            if let by = model.removedBy[key] { fail(op, .sourceRemovedEarlier(path, by: by)); return nil }
            if let planned = model.created[key] { return planned }
            switch Posix.statPath(path) {
            case .failure(.noSuchFileOrDirectory): fail(op, .sourceMissing(path)); return nil
            case .failure(let e): fail(op, .sourceUnreadable(path, e)); return nil
            case .success(let st):
                guard st.isRegularFile else { fail(op, .sourceNotRegularFile(path)); return nil }
                if case .failure(let e) = Posix.access(path, R_OK) { fail(op, .sourceUnreadable(path, e)); return nil }
                return (UInt64(st.st_size), UInt64(st.st_dev))
            }
        }
        /// Checks a target's directory (and that the target is not one) and returns its device.
        func targetDirectory(_ op: BatchOperation, _ path: FilePath) -> UInt64? {
            if model.created[FileModel.key(path)] == nil, case .success(let st) = Posix.statPath(path, followSymlinks: false), st.isDirectory {
                fail(op, .targetIsDirectory(path))
                return nil
            }
            let dir = AtomicFile.directory(of: path)
            switch Posix.statPath(dir) {
            case .failure: fail(op, .targetDirectoryMissing(dir)); return nil
            case .success(let st):
                guard st.isDirectory else { fail(op, .targetDirectoryMissing(dir)); return nil }
                if case .failure(let e) = Posix.access(dir, W_OK | X_OK) { fail(op, .targetDirectoryNotWritable(dir, e)); return nil }
                return UInt64(st.st_dev)
            }
        }
        func account(_ op: BatchOperation, _ path: FilePath, device: UInt64, bytes: UInt64) {
            let dir = AtomicFile.directory(of: path)
            var entry = bytesPerDevice[device] ?? (dir, 0, op.name)
            entry.bytes += bytes
            bytesPerDevice[device] = entry
        }

        for op in order {
            switch op.action {
            case .read(let p):
                _ = source(op, p)
            case .write(let p, let data):
                if let dev = targetDirectory(op, p) {
                    account(op, p, device: dev, bytes: UInt64(data.count))
                    model.create(p, size: UInt64(data.count), device: dev)
                }
            case .copy(let from, let to):
                let src = source(op, from)
                if let dev = targetDirectory(op, to), let src {
                    account(op, to, device: dev, bytes: src.size)
                    model.create(to, size: src.size, device: dev)
                }
            case .move(let from, let to):
                let src = source(op, from)
                // Moving a file out of a directory changes that directory (unless
                // an earlier step of the batch created the file there, which proved it writable).
                if model.created[FileModel.key(from)] == nil {
                    let dir = AtomicFile.directory(of: from)
                    if case .failure(let e) = Posix.access(dir, W_OK | X_OK) { fail(op, .sourceDirectoryNotWritable(dir, e)) }
                }
                if let dev = targetDirectory(op, to), let src {
                    if dev != src.device { account(op, to, device: dev, bytes: src.size) }
                    model.create(to, size: src.size, device: dev)
                    model.remove(from, by: op.name)
                }
            case .delete(let p):
                let key = FileModel.key(p)
                if let by = model.removedBy[key] {
                    fail(op, .sourceRemovedEarlier(p, by: by))
                } else if model.created[key] == nil, case .failure = Posix.statPath(p, followSymlinks: false) {
                    fail(op, .targetMissing(p))
                }
                _ = targetDirectory(op, p)
                model.remove(p, by: op.name)
            case .runTool(let name, _, let modifies, let workingDirectory, _):
                if case .failure(let problem) = tools.locate(name) { fail(op, .toolUnavailable(problem)) }
                if let workingDirectory {
                    if case .success(let st) = Posix.statPath(workingDirectory), st.isDirectory {} else {
                        fail(op, .workingDirectoryMissing(workingDirectory))
                    }
                }
                for p in modifies {
                    if let dev = targetDirectory(op, p), let st = try? Posix.statPath(p).get() {
                        // The backup of a file a tool may change in place is a full copy.
                        account(op, p, device: dev, bytes: UInt64(st.st_size))
                    }
                }
            }
        }
        for (_, entry) in bytesPerDevice.sorted(by: { $0.key < $1.key }) {
            if case .success(let available) = Posix.availableBytes(entry.dir), available < entry.bytes {
                failures.append(PreconditionFailure(operation: entry.operation,
                                                    kind: .insufficientSpace(directory: entry.dir, needed: entry.bytes, available: available)))
            }
        }
        return failures
    }

    /// `validate()` and the version requirements of the tools (which runs each required tool to read its version).
    public func validateIncludingToolVersions() async -> [PreconditionFailure] {
        var failures = validate()
        guard !toolRequirements.isEmpty else { return failures }
        let report = await tools.check(toolRequirements)
        for problem in report.problems {
            // Charged to the first operation that runs the tool, or to the requirement itself.
            let user = operations.first { if case .runTool(let n, _, _, _, _) = $0.action { n == problem.name } else { false } }
            let failure = PreconditionFailure(operation: user?.name ?? problem.name, kind: .toolUnavailable(problem))
            if !failures.contains(failure) { failures.append(failure) }
        }
        return failures
    }

    // MARK: - Execution

    /// Validates everything (tool versions included), then runs the operations in order; on a failure undoes what was done.
    public func execute() async -> BatchOutcome {
        let failures = await validateIncludingToolVersions()
        if !failures.isEmpty { return .rejected(failures) }
        let order = ordered().order
        var journal = UndoJournal()
        var results: [String: BatchStepResult] = [:]
        for op in order {
            do {
                results[op.name] = try await perform(op, journal: &journal)
            } catch {
                let (undone, problems) = journal.rollBack()
                return .rolledBack(failed: BatchStepError(operation: op.name, underlying: error), undone: undone, rollbackFailures: problems)
            }
        }
        return .applied(results: results, leftoverBackups: journal.commit())
    }

    private func perform(_ op: BatchOperation, journal: inout UndoJournal) async throws -> BatchStepResult {
        switch op.action {
        case .read(let p):
            switch FileReader.readAll(p) {
            case .success(let r) where r.bytes.count >= r.statSize: return .read(r.bytes)
            case .success(let r):
                throw FileSystemError("read all \(r.statSize) bytes (got \(r.bytes.count)) of", p, .ioError)
            case .failure(.system(let e)): throw e
            case .failure(.notRegularFile): throw FileSystemError("read (it is not a regular file)", p, .invalidArgument)
            case .failure(.tooLarge(_, let size, _)): throw FileSystemError("read \(size) bytes into memory from", p, .fileTooLarge)
            case .failure(.deadlineExceeded): throw FileSystemError("read before the deadline", p, .timedOut)
            }
        case .write(let p, let data):
            try journal.prepareReplace(p, by: op.name, copy: false)
            try AtomicFile.write(data, to: p)
            return .done
        case .copy(let from, let to):
            try journal.prepareReplace(to, by: op.name, copy: false)
            try AtomicFile.copy(from: from, to: to)
            return .done
        case .move(let from, let to):
            try journal.prepareReplace(to, by: op.name, copy: false)
            let before = UndoJournal.Identities(from: from, to: to)
            do {
                try AtomicFile.move(from: from, to: to)
            } catch {
                // The move can throw after the rename (a directory fsync that
                // failed after it): then the source's content lives only at
                // `to`, and the rollback must move it back, not delete it or
                // restore the old `to` over it. The disk, not the error, says
                // whether that happened.
                if UndoJournal.movedAway(from: from, to: to, before: before) { journal.record(.moveBack(from: to, to: from), by: op.name) }
                throw error
            }
            journal.record(.moveBack(from: to, to: from), by: op.name)
            return .done
        case .delete(let p):
            let backup = UndoJournal.backupName(for: p)
            if case .failure(let e) = Posix.rename(p, backup) { throw FileSystemError("move aside (to delete)", p, e) }
            journal.record(.restore(backup: backup, original: p), by: op.name)
            journal.backups.append(backup)
            return .done
        case .runTool(let name, let arguments, let modifies, let workingDirectory, let timeout):
            for p in modifies { try journal.prepareReplace(p, by: op.name, copy: true) }
            let result = try await tools.run(name, arguments: arguments, timeout: timeout, workingDirectory: workingDirectory)
            guard result.succeeded else {
                let how = result.timedOut ? "timed out after \(timeout)" : "ended with \(result.status.map { "\($0)" } ?? "an unknown status")"
                throw ActionReportedFailure(description: "the tool '\(name)' \(how): \(result.standardError.prefix(200))")
            }
            return .tool(result)
        }
    }
}

/// The batch's view of which files will exist after the operations validated so far.
private struct FileModel {
    var created: [String: (size: UInt64, device: UInt64)] = [:]
    var removedBy: [String: String] = [:]

    static func key(_ p: FilePath) -> String { p.lexicallyNormalized().string }

    mutating func create(_ p: FilePath, size: UInt64, device: UInt64) {
        created[Self.key(p)] = (size, device)
        removedBy[Self.key(p)] = nil
    }

    mutating func remove(_ p: FilePath, by name: String) {
        created[Self.key(p)] = nil
        removedBy[Self.key(p)] = name
    }
}

/// Compensating actions for what the batch did so far.
struct UndoJournal {
    enum Undo {
        case removeCreated(FilePath)
        case restore(backup: FilePath, original: FilePath)
        case moveBack(from: FilePath, to: FilePath)
    }

    var entries: [(operation: String, undo: Undo)] = []
    var backups: [FilePath] = []

    static func backupName(for p: FilePath) -> FilePath {
        AtomicFile.directory(of: p).appending(backupPrefix(for: p) + SHA256.hex(Posix.randomBytes(6)))
    }

    /// The start of the name of every backup of `p`: `.<name>.batch-backup.`.
    static func backupPrefix(for p: FilePath) -> String {
        "." + (p.lastComponent?.string ?? "file") + ".batch-backup."
    }

    mutating func record(_ undo: Undo, by operation: String) {
        entries.append((operation, undo))
    }

    /// Before `p` is replaced: keeps its current content under a backup name, or notes that it is new.
    mutating func prepareReplace(_ p: FilePath, by operation: String, copy: Bool) throws {
        switch Posix.statPath(p, followSymlinks: false) {
        case .failure(.noSuchFileOrDirectory):
            record(.removeCreated(p), by: operation)
        case .failure(let e):
            throw FileSystemError("stat (before backing it up)", p, e)
        case .success:
            let backup = Self.backupName(for: p)
            // A hard link keeps the old inode alive for free, since atomic writes replace the name
            // rather than the inode; a tool may write in place, so its files are copied.
            if copy || Posix.link(p, backup).isFailure {
                do {
                    try AtomicFile.copy(from: p, to: backup, options: AtomicFile.Options(replaceExisting: false))
                } catch {
                    // A copy that threw after publishing (its directory fsync
                    // failed) left a complete backup: keep track of it, so the
                    // rollback removes it instead of leaving it behind.
                    if case .success = Posix.statPath(backup, followSymlinks: false) {
                        backups.append(backup)
                        record(.restore(backup: backup, original: p), by: operation)
                    }
                    throw error
                }
            }
            backups.append(backup)
            record(.restore(backup: backup, original: p), by: operation)
        }
    }

    /// The files a move's two names led to before it (device and inode).
    struct Identities {
        var source: (UInt64, UInt64)?
        var destination: (UInt64, UInt64)?

        init(from: FilePath, to: FilePath) {
            source = Self.identity(from)
            destination = Self.identity(to)
        }

        static func identity(_ p: FilePath) -> (UInt64, UInt64)? {
            guard case .success(let st) = Posix.statPath(p, followSymlinks: false) else { return nil }
            return (UInt64(st.st_dev), UInt64(st.st_ino))
        }
    }

    /// Whether a failed move left its source's content only at `to`.
    ///
    /// The source name is gone and `to` is the source's file (a rename or a
    /// link) or, after a copy across filesystems, a file that was not there
    /// before. A source that vanished by itself, with `to` unchanged, is not a move.
    static func movedAway(from: FilePath, to: FilePath, before: Identities) -> Bool {
        guard case .failure(.noSuchFileOrDirectory) = Posix.statPath(from, followSymlinks: false),
              let now = Identities.identity(to) else { return false }
        if let source = before.source, source == now { return true }
        if let old = before.destination { return old != now }
        return true
    }

    /// Whether a move back put the file at `to` and left nothing at `from`.
    static func movedAway(from: FilePath, to: FilePath) -> Bool {
        guard case .failure(.noSuchFileOrDirectory) = Posix.statPath(from, followSymlinks: false) else { return false }
        if case .success = Posix.statPath(to, followSymlinks: false) { return true }
        return false
    }

    /// Runs the compensating actions newest first; returns the operations undone and any problems.
    ///
    /// It never removes or overwrites the only copy of a file: when a move
    /// cannot be undone, the moved file stays where it is, the later undo
    /// steps that would remove or replace it are skipped, and each skip is
    /// reported (the old content stays in its backup).
    mutating func rollBack() -> (undone: [String], problems: [String]) {
        var undone: [String] = []
        var problems: [String] = []
        // Paths that hold the only copy of a moved file that could not be moved back.
        var protected: Set<String> = []
        for (operation, undo) in entries.reversed() {
            switch undo {
            case .removeCreated(let p) where protected.contains(p.string), .restore(_, let p) where protected.contains(p.string):
                var kept = ""
                if case .restore(let backup, _) = undo { kept = " Its earlier content is kept in \(backup)." }
                problems.append("Left \(p) in place for '\(operation)': it holds the only copy of a file that could not be moved back.\(kept)")
                continue
            case .removeCreated(let p):
                if case .failure(let e) = Posix.unlink(p), e != .noSuchFileOrDirectory {
                    problems.append("Could not remove \(p), created by '\(operation)': \(e) (errno \(e.rawValue)).")
                }
            case .restore(let backup, let original) where Self.sameFile(backup, original):
                // The step failed before replacing the original, so the backup
                // is a second link to it; rename(2) would do nothing then and
                // leave the backup name behind.
                if case .failure(let e) = Posix.unlink(backup) {
                    problems.append("Could not remove the backup \(backup) of the unchanged \(original) for '\(operation)': \(e) (errno \(e.rawValue)).")
                } else {
                    backups.removeAll { $0 == backup }
                }
            case .restore(let backup, let original):
                if case .failure(let e) = Posix.rename(backup, original) {
                    problems.append("Could not restore \(original) from its backup \(backup) for '\(operation)': \(e) (errno \(e.rawValue)).")
                } else {
                    backups.removeAll { $0 == backup }
                    _ = Posix.syncDirectory(AtomicFile.directory(of: original))
                }
            case .moveBack(let from, let to):
                do {
                    try AtomicFile.move(from: from, to: to, options: AtomicFile.Options(replaceExisting: false))
                } catch {
                    if Self.movedAway(from: from, to: to) {
                        problems.append("Moved \(from) back to \(to) for '\(operation)', but that may not survive a power loss: \(error)")
                    } else {
                        if case .success = Posix.statPath(from, followSymlinks: false) { protected.insert(from.string) }
                        problems.append("Could not move \(from) back to \(to) for '\(operation)'; it stays at \(from): \(error)")
                    }
                }
            }
            if undone.last != operation { undone.append(operation) }
        }
        entries.removeAll()
        return (undone, problems)
    }

    /// Whether two names are links to one inode.
    static func sameFile(_ a: FilePath, _ b: FilePath) -> Bool {
        guard case .success(let sa) = Posix.statPath(a, followSymlinks: false),
              case .success(let sb) = Posix.statPath(b, followSymlinks: false) else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// The batch is applied: removes the backups; returns those that could not be removed.
    mutating func commit() -> [FilePath] {
        let left = backups.filter { Posix.unlink($0).isFailure }
        for dir in Set(backups.map { AtomicFile.directory(of: $0).string }) { _ = Posix.syncDirectory(FilePath(dir)) }
        backups.removeAll()
        entries.removeAll()
        return left
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
