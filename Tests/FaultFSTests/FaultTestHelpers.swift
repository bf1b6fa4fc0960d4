#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// Shared pieces of the fault tests (issue 3 §6): byte patterns, hex, trace
/// parsing, medians.
enum FaultTest {
    /// `count` bytes, none of them zero, different for each `salt`.
    static func pattern(_ count: Int, salt: Int = 1) -> [UInt8] {
        (0..<count).map { UInt8(($0 &* 7 &+ salt &* 13) % 255 + 1) }
    }

    /// Writes a file into a backing directory (before or beside the mount).
    static func put(_ backing: String, _ name: String, _ bytes: [UInt8]) throws {
        try must(FS.writeFile(backing + "/" + name, bytes), "write \(name) in the backing")
    }

    static func put(_ backing: String, _ name: String, _ text: String) throws {
        try put(backing, name, Array(text.utf8))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
            i += 2
        }
        return out
    }

    /// Parses trace lines (JSON objects) into dictionaries.
    static func events(_ lines: [String]) throws -> [[String: Any]] {
        try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SupportError("the trace line '\(line)' is not a JSON object.")
            }
            return object
        }
    }

    /// The lines of a trace file.
    static func lines(_ traceFile: String?) -> [String] {
        (traceFile ?? "").split(separator: "\n").map(String.init)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// The dictionary a Python child printed.
    static func object(_ value: Any) throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw SupportError("expected a JSON object from the child, got \(value)") }
        return object
    }

    /// A list of strings from a child's JSON object.
    static func strings(_ object: [String: Any], _ key: String) throws -> [String] {
        guard let list = object[key] as? [Any] else { throw SupportError("the child's JSON has no list '\(key)': \(object)") }
        return list.map { "\($0)" }
    }

    /// A whole number from parsed JSON (Int or NSNumber), or nil.
    static func int(_ value: Any?) -> Int? {
        switch value {
        case let v as Int: return v
        case let v as NSNumber: return v.intValue
        default: return nil
        }
    }

    /// A list of whole numbers from parsed JSON, or nil if any item is not one.
    static func ints(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        let numbers = list.compactMap { int($0) }
        return numbers.count == list.count ? numbers : nil
    }

    /// A list of numbers from parsed JSON, or nil if any item is not one.
    static func doubles(_ value: Any?) -> [Double]? {
        guard let list = value as? [Any] else { return nil }
        let numbers: [Double] = list.compactMap {
            switch $0 {
            case let v as Double: return v
            case let v as Int: return Double(v)
            case let v as NSNumber: return v.doubleValue
            default: return nil
            }
        }
        return numbers.count == list.count ? numbers : nil
    }

    /// Nil when `got` equals `want`, else a short account of the first
    /// difference (a failing `#expect` would print every byte).
    static func mismatch(_ got: [UInt8]?, _ want: [UInt8]) -> String? {
        guard let got else { return "no such file (want \(want.count) bytes)" }
        if got == want { return nil }
        if let i = (0..<min(got.count, want.count)).first(where: { got[$0] != want[$0] }) {
            return "\(got.count) bytes, want \(want.count); first difference at byte \(i): \(got[i]) vs \(want[i])"
        }
        return "\(got.count) bytes, want \(want.count); one is a prefix of the other"
    }

    /// Expects two byte strings to be equal, reporting only where they differ.
    static func expectSame(_ got: [UInt8]?, _ want: [UInt8], _ what: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let problem = mismatch(got, want)
        #expect(problem == nil, Comment(rawValue: what), sourceLocation: sourceLocation)
    }

    /// Expects two lists of lines to be equal, reporting the first difference.
    static func expectSame(lines got: [String], _ want: [String], _ what: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) {
        var problem: String? = nil
        if got != want {
            if let i = (0..<min(got.count, want.count)).first(where: { got[$0] != want[$0] }) {
                problem = "line \(i + 1) of \(got.count)/\(want.count): \(got[i]) vs \(want[i])"
            } else {
                problem = "\(got.count) lines vs \(want.count); one is a prefix of the other"
            }
        }
        #expect(problem == nil, Comment(rawValue: what), sourceLocation: sourceLocation)
    }

    /// Expects two directory snapshots to hold the same files with the same bytes.
    static func expectSame(files got: [String: [UInt8]], _ want: [String: [UInt8]], _ what: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let names = Set(got.keys).union(want.keys).sorted()
        let problems = names.compactMap { name -> String? in
            guard let w = want[name] else { return "\(name) is extra" }
            return mismatch(got[name], w).map { "\(name): \($0)" }
        }
        #expect(problems.isEmpty, Comment(rawValue: what), sourceLocation: sourceLocation)
    }

    /// Runs a Python snippet (with `FaultPython.prelude`) that prints one
    /// JSON object, and returns it.
    static func child(_ script: String, _ arguments: [String] = [], timeout: Double = 60) throws -> [String: Any] {
        try object(try FaultPython.json(FaultPython.prelude + script, arguments, timeout: timeout))
    }
}
