#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// Shared pieces of the pattern tests on a FaultFS mount (issue 4): contents
/// that tell old from new from torn, the backing directory as ground truth,
/// and the control requests the tests make.
enum OnFS {
    /// `count` copies of one letter: old and new contents of different letters
    /// and sizes, so any mixture or truncation shows.
    static func fill(_ letter: Character, _ count: Int) -> [UInt8] {
        [UInt8](repeating: letter.asciiValue!, count: count)
    }

    /// A short account of some bytes as runs of one value: `O×12345`, or
    /// `N×4096 O×4096 ...` for a mixture; `no file` for nil.
    static func describe(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "no file" }
        if bytes.isEmpty { return "empty" }
        var runs: [(UInt8, Int)] = []
        for b in bytes {
            if let last = runs.last, last.0 == b { runs[runs.count - 1].1 += 1 } else { runs.append((b, 1)) }
        }
        func name(_ b: UInt8) -> String { (0x21...0x7e).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16) }
        let shown = runs.prefix(8).map { "\(name($0.0))×\($0.1)" }.joined(separator: " ")
        return runs.count > 8 ? "\(shown) ... (\(runs.count) runs, \(bytes.count) bytes)" : shown
    }

    /// The bytes of a backing file, read directly (not through the mount).
    static func backing(_ m: FaultMount, _ relative: String) -> [UInt8]? {
        try? FS.readFile(m.backingPath(relative)).get()
    }

    /// The temporaries `AtomicFile` makes, in a backing directory.
    static func temporaries(_ m: FaultMount, in relative: String) throws -> [String] {
        try must(FS.listDirectory(m.backingPath(relative)), "list the backing directory \(relative)")
            .filter { $0.contains(AtomicFile.temporaryMarker) }
    }

    /// Expects `got` to be exactly `want`, describing both as runs on failure (not every byte).
    static func expectBytes(_ got: [UInt8]?, _ want: [UInt8], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let same = got == want
        #expect(same, "\(what): \(describe(got)), expected \(describe(want))", sourceLocation: sourceLocation)
    }

    /// Expects `got` to be exactly `old` or exactly `new`, and returns which (nil: neither).
    @discardableResult
    static func expectOldOrNew(_ got: [UInt8]?, old: [UInt8], new: [UInt8], _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) -> Bool? {
        let which: Bool? = got == old ? false : got == new ? true : nil
        #expect(which != nil, "\(what): \(describe(got)), neither the old \(describe(old)) nor the new \(describe(new))",
                sourceLocation: sourceLocation)
        return which
    }

    /// An on-demand power loss over the control socket (the mount needs
    /// `--track-durability`), killing `kill`.
    static func powerLoss(_ m: FaultMount, metadata: Bool, keep: Double = 0, kill: [pid_t]) throws {
        try m.control.must(.powerLoss(metadata: metadata, keep: keep, kill: kill))
    }

    /// Calls `value` until `done` holds for its result or `seconds` pass; returns the last result.
    static func eventually<T>(within seconds: Double, _ value: () -> T, until done: (T) -> Bool) -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last = value()
        while !done(last) && ContinuousClock.now < deadline {
            usleep(10_000)
            last = value()
        }
        return last
    }

    /// Clears every armed rule.
    static func clearRules(_ m: FaultMount) throws {
        try m.control.must(.clear(id: nil))
    }

    /// The parsed trace lines not drained yet.
    static func trace(_ m: FaultMount) throws -> [[String: Any]] {
        try m.control.trace().map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SupportError("the trace line '\(line)' is not a JSON object.")
            }
            return object
        }
    }

    /// Trace events of one fault.
    static func events(_ m: FaultMount, fault: String) throws -> [[String: Any]] {
        try trace(m).filter { $0["fault"] as? String == fault }
    }

    /// Every file below a backing directory, for "nothing changed" checks.
    static func snapshot(_ m: FaultMount) throws -> [String: [UInt8]] {
        try snapshotFiles(m.fs.backing)
    }

    /// Expects two snapshots to be equal, naming the files that differ.
    static func expectSame(_ got: [String: [UInt8]], _ want: [String: [UInt8]], _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let names = Set(got.keys).union(want.keys).sorted()
        let differing = names.filter { got[$0] != want[$0] }.map { "\($0): \(describe(got[$0])) vs \(describe(want[$0]))" }
        #expect(differing.isEmpty, "\(what): \(differing.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}
