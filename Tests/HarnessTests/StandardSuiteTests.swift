#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultFSTestSupport
import Harness
import Testing

/// The package's scenarios/ directory, found from this source file.
let scenariosDirectory: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/HarnessTests/StandardSuiteTests.swift
    return parts.joined(separator: "/") + "/scenarios"
}()

@Suite("The standard suite")
struct StandardSuiteTests {
    static let patternDirectories = ["exec-001": "EXEC-001", "exec-002": "EXEC-002", "exec-003": "EXEC-003", "exec-004": "EXEC-004",
                                     "pattern-001": "PATTERN-001", "pattern-002": "PATTERN-002", "pattern-003": "PATTERN-003"]

    @Test("every scenario loads, ids are unique, and each pattern has a control and at least three fault scenarios")
    func loads() throws {
        let suite = try ScenarioLoader.loadSuite([scenariosDirectory])
        #expect(suite.count >= 28)
        #expect(Set(suite.map(\.id)).count == suite.count)
        for (directory, pattern) in Self.patternDirectories {
            let mine = suite.filter { $0.id.hasPrefix(directory + "/") }
            #expect(mine.allSatisfy { $0.patterns == [pattern] }, "\(directory): each scenario measures its directory's pattern alone")
            #expect(mine.filter(\.isControl).count == 1, "\(directory) has one control")
            #expect(mine.filter { !$0.isControl }.count >= 3, "\(directory) has at least three fault scenarios")
        }
        #expect(Set(suite.map { String($0.id.split(separator: "/")[0]) }) == Set(Self.patternDirectories.keys))
    }

    @Test("together the fault scenarios cover missing files, partial writes, slow I/O, and crashes by kill and by power loss")
    func coverage() throws {
        let faults = Set(try ScenarioLoader.loadSuite([scenariosDirectory]).flatMap { $0.faults.rules.map(\.fault.kind.rawValue) })
        for needed in ["missing", "disk-full", "torn-write", "lost-write", "delay", "kill-caller", "power-loss", "transient", "corrupt-read"] {
            #expect(faults.contains(needed), "no scenario injects \(needed)")
        }
    }

    @Test("every scenario is cheap: small files, short timeouts, fault scenarios say what a consistent failure leaves")
    func cheap() throws {
        for s in try ScenarioLoader.loadSuite([scenariosDirectory]) {
            #expect(s.timeout <= 3, "\(s.id): timeout \(s.timeout) s")
            let setupBytes = s.setup.files.map { $0.bytes.materialize().count }.reduce(0, +)
            #expect(setupBytes <= 1 << 20, "\(s.id): \(setupBytes) bytes of setup")
            #expect(s.trials == nil, "\(s.id): the run decides the trials")
            #expect(s.description.count >= 100, "\(s.id): the description tells the real-world failure")
            if case .writeFile(let w) = s.task.work {
                #expect((w.content.generate?.size ?? 0) <= 1 << 20, "\(s.id)")
            }
            // A delay longer than the timeout only in a scenario about a hang.
            for rule in s.faults.rules {
                if case .delay(let model) = rule.fault, case .fixed(let ns)? = model.distribution, Double(ns) / 1e9 >= s.timeout {
                    #expect(s.id.contains("hang"), "\(s.id): a delay past the timeout")
                }
            }
            // A pattern-on arm that stops cleanly must find a consistent state,
            // except where it is expected to repair the damage (PATTERN-002, PATTERN-003's retries).
            if !s.isControl && !["PATTERN-002"].contains(s.patterns[0]) {
                #expect(!s.expect.consistent.isEmpty, "\(s.id): what does a clean failure leave?")
            }
        }
    }
}
