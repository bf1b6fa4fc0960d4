#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// An action that ran to the end but reported failure without throwing (a non-zero exit).
public struct ActionReportedFailure: Error, CustomStringConvertible {
    public let description: String
}

/// PATTERN-002: runs an action, then checks the outcome on disk independently of what the action reported.
///
/// Each file is opened and read to the end by the verifier itself (after
/// asking the kernel to drop its clean cached pages), and the size, mtime
/// and mode come from `fstat` on that descriptor: no cached size, no trust
/// in the action's own report. A torn or lost write shows as a
/// wrong size or checksum; an action that exits 0 having done nothing shows
/// as `claimedSuccessButWrong`.
///
/// Anti-pattern: trusting the exit code or the tool's "done" message.
public struct GroundTruthVerifier: Sendable {
    /// The parsers used by `.parses(as:)`.
    public var registry: FileHandlerRegistry

    public init(registry: FileHandlerRegistry = FileHandlerRegistry()) {
        self.registry = registry
    }

    /// Runs `action` and verifies `expectations` afterwards.
    public func run<T: Sendable>(expecting expectations: [FileExpectation], action: () async throws -> T) async -> VerificationOutcome<T> {
        let start = Posix.fileTimestampNow()
        let value: T
        do {
            value = try await action()
        } catch {
            return .failed(error, check(expectations, since: start).failures)
        }
        let (failures, evidence) = check(expectations, since: start)
        return failures.isEmpty ? .verified(value, evidence) : .claimedSuccessButWrong(value, failures)
    }

    /// Runs a tool through `tools` and verifies; exit status 0 is the tool's claim of success.
    public func run(tool name: String, arguments: [String], using tools: ToolGuard, timeout: Duration,
                    workingDirectory: FilePath? = nil, expecting expectations: [FileExpectation]) async -> VerificationOutcome<ToolRunResult> {
        await run(expecting: expectations) { () async throws -> ToolRunResult in
            let result = try await tools.run(name, arguments: arguments, timeout: timeout, workingDirectory: workingDirectory)
            guard result.succeeded else {
                let how = result.timedOut ? "timed out after \(timeout)" : "ended with \(result.status.map { "\($0)" } ?? "unknown status")"
                throw ActionReportedFailure(description: "'\(name) \(arguments.joined(separator: " "))' \(how): \(result.standardError.prefix(200))")
            }
            return result
        }
    }

    /// Checks expectations now; `start` is the earliest acceptable mtime for `.modifiedSinceStart`.
    public func check(_ expectations: [FileExpectation], since start: timespec? = nil) -> (failures: [CheckFailure], evidence: [FileEvidence]) {
        var failures: [CheckFailure] = []
        var evidence: [FileEvidence] = []
        for exp in expectations {
            let (f, e) = check(exp, since: start)
            failures += f
            if let e { evidence.append(e) }
        }
        return (failures, evidence)
    }

    private func check(_ exp: FileExpectation, since start: timespec?) -> ([CheckFailure], FileEvidence?) {
        let path = exp.path
        var failures: [CheckFailure] = []
        func fail(_ c: FileCheck, _ found: String) { failures.append(CheckFailure(path: path, check: c, found: found)) }

        if exp.checks.contains(.noTemporaryFiles) {
            let leftovers = Self.temporaryFiles(for: path)
            if !leftovers.isEmpty { fail(.noTemporaryFiles, leftovers.map(\.string).joined(separator: ", ")) }
        }
        if exp.checks.contains(.absent) {
            switch Posix.statPath(path, followSymlinks: false) {
            case .failure(.noSuchFileOrDirectory): break
            case .success: fail(.absent, "a file")
            case .failure(let e): fail(.absent, "an error: \(e)")
            }
        }
        let contentChecks = exp.checks.filter { $0 != .absent && $0 != .noTemporaryFiles }
        guard !contentChecks.isEmpty else { return (failures, nil) }

        let read: ReadFile
        switch FileReader.readAll(path, dropCachedPages: true) {
        case .success(let r): read = r
        case .failure(let f):
            let found: String
            switch f {
            case .system(let e) where e.errno == .noSuchFileOrDirectory: found = "no file"
            case .system(let e): found = e.description
            case .notRegularFile: found = "something that is not a regular file"
            case .tooLarge(_, let size, _): found = "a file too large to verify (\(size) bytes)"
            case .deadlineExceeded(_, let n): found = "a read that ran out of time after \(n) bytes"
            }
            for c in contentChecks { fail(c, found) }
            return (failures, nil)
        }
        let bytes = read.bytes
        if bytes.count < read.statSize {
            fail(.exists, "a short read: \(bytes.count) of the \(read.statSize) bytes fstat reported")
        }
        let digest = SHA256.hexDigest(bytes)
        for c in contentChecks {
            switch c {
            case .exists, .absent, .noTemporaryFiles:
                break
            case .minimumSize(let n) where bytes.count < n:
                fail(c, "\(bytes.count) bytes")
            case .exactSize(let n) where bytes.count != n:
                fail(c, "\(bytes.count) bytes")
            case .sha256(let h) where h.lowercased() != digest:
                fail(c, "SHA-256 \(digest)")
            case .contentEquals(let expected) where expected != bytes:
                let firstDifference = zip(expected, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.count, bytes.count)
                fail(c, "\(bytes.count) bytes differing from byte \(firstDifference)")
            case .parses(let format):
                if case .failure(let e) = registry.validate(bytes, as: format, path: path) { fail(c, e.description) }
            case .modifiedSinceStart:
                if let start, !(start <= read.modificationTime) {
                    fail(c, "an mtime older than the start of the action (\(read.modificationTime.tv_sec).\(read.modificationTime.tv_nsec) < \(start.tv_sec).\(start.tv_nsec))")
                }
            default:
                break
            }
        }
        return (failures, FileEvidence(path: path, size: bytes.count, sha256: digest))
    }

    /// Files next to `path` that look like temporaries of it: this library's (atomic temporaries and batch backups), editors' and `name.tmp` style.
    public static func temporaryFiles(for path: FilePath) -> [FilePath] {
        let dir = AtomicFile.directory(of: path)
        guard let base = path.lastComponent?.string,
              case .success(let names) = Posix.directoryEntries(dir) else { return [] }
        return names.filter { name in
            guard name != base else { return false }
            if name.hasPrefix(AtomicFile.temporaryPrefix(for: path)) { return true }
            // A batch's backup, left by a crash or by a rollback that could not finish.
            if name.hasPrefix(UndoJournal.backupPrefix(for: path)) { return true }
            let stem = name.hasPrefix(".") ? String(name.dropFirst()) : name
            guard stem.hasPrefix(base) else { return false }
            let rest = stem.dropFirst(base.count).lowercased()
            return rest.contains("tmp") || rest.contains("temp") || rest.hasSuffix("~") || rest.hasSuffix(".swp") || rest.hasSuffix(".part")
        }.sorted().map { dir.appending($0) }
    }
}
