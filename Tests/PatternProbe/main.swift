// pattern-probe: a child process for the ExecutionPatterns tests on a FaultFS
// mount. The fault engine can SIGKILL the process that writes (kill-caller,
// power-loss), so the writer must not be the test process itself.
//
//   pattern-probe atomic-write    DEST SIZE BYTE [--pause-after STEP]
//   pattern-probe atomic-copy     SRC DEST [--pause-after STEP]
//   pattern-probe atomic-move     SRC DEST [--pause-after STEP]
//   pattern-probe naive-write     DEST SIZE BYTE [--pause]
//   pattern-probe in-place-write  DEST SIZE BYTE [--pause]
//   pattern-probe rename-no-fsync DEST SIZE BYTE [--pause]
//   pattern-probe tool-run        TIMEOUT_MS OUTPUT_LIMIT [--within MS] [--starve-after FILE MS] TOOL [ARGUMENT...]
//
// The writes put SIZE copies of the byte BYTE (0...255) in DEST:
// - atomic-write: EXEC-004's `AtomicFile.write`. It prints `step NAME` after
//   every step; with `--pause-after STEP` it prints `paused STEP` after that
//   step and waits to be killed (for an on-demand power loss at that point).
// - atomic-copy, atomic-move: `AtomicFile.copy` and `AtomicFile.move` of SRC
//   to DEST, with the same step lines and pause.
// - naive-write: the anti-pattern, open(O_TRUNC) + write, no temporary, no fsync.
// - in-place-write: overwrites DEST from offset 0 without truncating, no fsync.
// - rename-no-fsync: the seed's atomic_write: a temporary, renamed over DEST,
//   with no fsync of the file or of the directory.
// With `--pause` the anti-patterns print `paused` when done and wait.
// - tool-run: EXEC-003's `ToolGuard.run` of TOOL (a path) with a timeout of
//   TIMEOUT_MS and the output limit, with a kill grace of 200 ms (and a
//   deadline MS from now with --within; with --starve-after, every thread
//   of the async pool is blocked for MS once FILE exists). It prints `timedOut BOOL`,
//   `status STATUS`, `stdout-bytes N`, `stdout LINE` (the output with
//   newlines as `|`), `stderr-bytes N`, `error KIND` when it threw,
//   `duration-ms N` for the whole call, then `alive N`: the processes other
//   than itself still alive (`dying N`: those with SIGKILL pending, blocked
//   in uninterruptible I/O, which will never run again) (not
//   zombies) in /proc. Run it as PID 1 of a PID namespace with its own /proc
//   (`unshare --pid --fork --mount-proc`): then every other process is the
//   tool's, and a wrong kill cannot reach anything outside.
//
// Output, one line each: `done` and exit 0; `error MESSAGE` and exit 1;
// `usage: ...` and exit 2.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ExecutionPatterns
import Foundation
import SystemPackage

/// Writes one line to stdout at once, so a test reading the file sees it even if the process is killed right after.
func say(_ line: String) {
    var bytes = Array((line + "\n").utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

/// Waits to be killed by the test (or by the fault engine's power loss).
func waitForever() -> Never {
    while true { _ = Glibc.pause() }
}

func fail(_ message: String) -> Never {
    say("error \(message)")
    exit(1)
}

func usage() -> Never {
    say("usage: pattern-probe atomic-write|naive-write|in-place-write|rename-no-fsync DEST SIZE BYTE [--pause | --pause-after STEP], or atomic-copy|atomic-move SRC DEST [--pause-after STEP], or tool-run TIMEOUT_MS OUTPUT_LIMIT [--within MS] [--starve-after FILE MS] TOOL [ARGUMENT...]")
    exit(2)
}

/// Opens `path`, writes every byte (looping over short writes), closes; no fsync.
func plainWrite(_ path: String, _ bytes: [UInt8], flags: Int32) {
    let fd = open(path, flags | O_CLOEXEC, 0o644)
    guard fd >= 0 else { fail("open \(path): errno \(errno)") }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { fail("write \(path) at \(offset): errno \(errno)") }
        offset += n
    }
    guard close(fd) == 0 else { fail("close \(path): errno \(errno)") }
}

extension String {
    func replacingNewlines() -> String { String(map { $0 == "\n" ? "|" : $0 }) }
}

/// The processes in /proc other than this one that are not zombies: those that can still run, and those that only wait to die.
///
/// A process blocked in uninterruptible I/O (a read from a slow FUSE
/// filesystem) ends only when that I/O does; with SIGKILL pending it will
/// never run its own code again, so it is counted as dying, not alive.
func liveProcesses() -> (alive: Int, dying: Int) {
    guard let dir = opendir("/proc") else { fail("opendir /proc: errno \(errno)") }
    defer { closedir(dir) }
    var alive = 0, dying = 0
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard let pid = Int32(name), pid != getpid() else { continue }
        let stat = readSmallFile("/proc/\(pid)/stat")
        // The state is the first field after the command name's closing parenthesis.
        guard let close = stat.lastIndex(of: ")") else { continue }
        let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
        guard let state, state != "Z", state != "X" else { continue }
        let status = readSmallFile("/proc/\(pid)/status")
        let killPending = status.split(separator: "\n").contains { line in
            guard line.hasPrefix("SigPnd:") || line.hasPrefix("ShdPnd:"),
                  let mask = UInt64(line.split(separator: "\t").last.map(String.init) ?? "", radix: 16) else { return false }
            return mask & (1 << (UInt64(SIGKILL) - 1)) != 0
        }
        if killPending { dying += 1 } else { alive += 1 }
    }
    return (alive, dying)
}

func readSmallFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = fread(&buffer, 1, buffer.count, file)
    return String(decoding: buffer[0..<n], as: UTF8.self)
}

/// Options for an AtomicFile call whose step hook prints every step and, after `--pause-after STEP`, waits there.
func atomicOptions(_ options: [String]) -> AtomicFile.Options {
    let pauseAfter: AtomicFile.Step?
    if options.count == 2, options[0] == "--pause-after" {
        guard let step = AtomicFile.Step(rawValue: options[1]) else {
            fail("no step '\(options[1])'; use one of \(AtomicFile.Step.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        pauseAfter = step
    } else if options.isEmpty {
        pauseAfter = nil
    } else {
        usage()
    }
    return AtomicFile.Options(stepHook: { step, _ in
        say("step \(step.rawValue)")
        if step == pauseAfter {
            say("paused \(step.rawValue)")
            waitForever()
        }
        return .proceed
    })
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else { usage() }
let command = arguments[0]

if command == "atomic-copy" || command == "atomic-move" {
    let source = FilePath(arguments[1]), destination = FilePath(arguments[2])
    let options = atomicOptions(Array(arguments[3...]))
    do throws(AtomicFileError) {
        if command == "atomic-copy" {
            try AtomicFile.copy(from: source, to: destination, options: options)
        } else {
            try AtomicFile.move(from: source, to: destination, options: options)
        }
    } catch {
        fail(error.description)
    }
    say("done")
    exit(0)
}

if command == "tool-run" {
    guard arguments.count >= 4, let timeout = Int(arguments[1]), let limit = Int(arguments[2]) else { usage() }
    var rest = Array(arguments[3...])
    var deadline: Deadline?
    if rest.count >= 3, rest[0] == "--within", let ms = Int(rest[1]) {
        deadline = Deadline(after: .milliseconds(ms))
        rest.removeFirst(2)
    }
    // --starve-after FILE MS: once FILE exists (the tool wrote it), block every
    // thread of the async pool for MS, as a busy caller would.
    if rest.count >= 4, rest[0] == "--starve-after", let ms = UInt32(rest[2]) {
        let marker = rest[1]
        rest.removeFirst(3)
        Thread.detachNewThread {
            while access(marker, F_OK) != 0 { usleep(5_000) }
            for _ in 0..<max(2, ProcessInfo.processInfo.activeProcessorCount) * 2 {
                Task.detached { usleep(ms * 1000) }
            }
        }
    }
    let started = ContinuousClock.now
    var result: ToolRunResult?
    do {
        result = try await ToolGuard().run(rest[0], arguments: Array(rest[1...]), timeout: .milliseconds(timeout),
                                           outputLimit: limit, killGrace: .milliseconds(200), within: deadline)
    } catch {
        switch error.kind {
        case .outputLimitExceeded(_, let partial):
            say("error outputLimitExceeded")
            result = partial
        case .launchFailed: say("error launchFailed")
        case .unavailable: say("error unavailable")
        }
        say("error-message \(error.description.replacingNewlines())")
    }
    if let result {
        say("timedOut \(result.timedOut)")
        say("status \(result.status.map { "\($0)" } ?? "none")")
        say("stdout-bytes \(result.standardOutput.utf8.count)")
        say("stdout \(result.standardOutput.replacingNewlines())")
        say("stderr-bytes \(result.standardError.utf8.count)")
    }
    let elapsed = ContinuousClock.now - started
    say("duration-ms \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)")
    let left = liveProcesses()
    say("alive \(left.alive)")
    say("dying \(left.dying)")
    exit(0)
}

guard arguments.count >= 4, let size = Int(arguments[2]), size >= 0, let byte = UInt8(arguments[3]) else { usage() }
let destination = arguments[1]
let options = Array(arguments[4...])
let bytes = [UInt8](repeating: byte, count: size)
let pauseWhenDone = options == ["--pause"]

switch command {
case "atomic-write":
    do {
        try AtomicFile.write(bytes, to: FilePath(destination), options: atomicOptions(options))
    } catch {
        fail(error.description)
    }
case "naive-write", "in-place-write":
    guard options.isEmpty || pauseWhenDone else { usage() }
    plainWrite(destination, bytes, flags: O_WRONLY | O_CREAT | (command == "naive-write" ? O_TRUNC : 0))
    if pauseWhenDone { say("paused"); waitForever() }
case "rename-no-fsync":
    guard options.isEmpty || pauseWhenDone else { usage() }
    let path = FilePath(destination)
    let directory = path.removingLastComponent().isEmpty ? FilePath(".") : path.removingLastComponent()
    let temporary = directory.appending("." + (path.lastComponent?.string ?? "file") + ".seed-tmp")
    plainWrite(temporary.string, bytes, flags: O_WRONLY | O_CREAT | O_TRUNC)
    guard rename(temporary.string, destination) == 0 else { fail("rename \(temporary) to \(destination): errno \(errno)") }
    if pauseWhenDone { say("paused"); waitForever() }
default:
    usage()
}
say("done")
exit(0)
