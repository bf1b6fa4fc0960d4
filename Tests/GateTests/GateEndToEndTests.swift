#if canImport(Glibc)
import Glibc
#endif
import FaultFSTestSupport
import Foundation
import Gate
import Harness
import Results
import Testing

/// Reads the one results document `faultbench run` wrote into `directory`.
func onlyResult(in directory: String) throws -> (String, RunResult) {
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
    let name = try #require(files.count == 1 ? files.first : nil, "expected one result in \(directory): \(files)")
    switch ResultFile.read(directory + "/" + name) {
    case .success(let run): return (directory + "/" + name, run)
    case .failure(let error): throw error
    }
}

/// The real suite through the built binary: a planted regression is caught,
/// and shards merge into the whole run.
@Suite("the gate on real runs", .serialized)
struct GateEndToEndTests {
    static var executor: String {
        get throws {
            let binary = try FaultbenchBinary.path()
            return String(binary[..<binary.lastIndex(of: "/")!]) + "/faultbench-executor"
        }
    }

    @Test("a planted regression (EXEC-004's atomic write removed from the on arm) is caught: exit 2 naming its scenarios only",
          .timeLimit(.minutes(10)))
    func plantedRegression() throws {
        let dir = try TemporaryDirectory("gate-e2e")
        defer { try? dir.remove() }
        let executor = try Self.executor
        // The pattern-on executor with one safeguard removed: for every task
        // that asks for EXEC-004 it runs the ordinary code; every other task
        // gets the real pattern-on arm. exec replaces the shell, so the
        // executor is the trial's process, as the harness expects.
        let script = """
        #!/bin/sh
        task=$(cat)
        case "$task" in
          *'"EXEC-004"'*) arm=off ;;
          *) arm=on ;;
        esac
        exec \(executor) "$arm" <<EOF
        $task
        EOF

        """
        try Data(script.utf8).write(to: URL(fileURLWithPath: dir.path("no-atomic-write")))
        chmod(dir.path("no-atomic-write"), 0o755)
        let common = ["run", "--scenarios", repositoryRoot + "/scenarios", "--scenario", "exec-00[24]/*",
                      "--trials", "6", "--jobs", "2"]
        let base = try faultbench(common + ["--seed", "3", "--results", "base"], in: dir, timeout: 600)
        #expect(base.succeeded, "\(base)")
        let (basePath, baseRun) = try onlyResult(in: dir.path("base"))
        let update = try faultbench(["baseline", "update", basePath], in: dir)
        #expect(update.succeeded, "\(update)")

        // run --baseline: the candidate run and the gate in one command.
        let planted = try faultbench(common + ["--seed", "4", "--results", "planted",
                                               "--executor", "off=\(executor) off,on=\(dir.path("no-atomic-write"))",
                                               "--baseline", "results/baseline.json", "--json", "cmp.json"],
                                     in: dir, timeout: 600)
        #expect(planted.exit == .exited(2), "\(planted)")
        let data = try #require(FileManager.default.contents(atPath: dir.path("cmp.json")))
        let comparison = try JSONDecoder().decode(Comparison.self, from: data)
        #expect(comparison.verdict == .regression && comparison.compared)
        #expect(comparison.environmentDifferences.isEmpty, "\(comparison.environmentDifferences)")
        // Every EXEC-004 fault scenario whose fault bit: errors regressed.
        let exec004 = baseRun.figures!.scenarios.filter { $0.id.hasPrefix("exec-004/") && !$0.control }
        #expect(exec004.count == 3)
        for figures in exec004 {
            let scenario = try #require(comparison.scenarios.first { $0.id == figures.id })
            #expect(scenario.verdict == .regression, "\(scenario.id): \(scenario.reasons)")
            #expect(scenario.reasons.contains { $0.hasPrefix("Errors regressed") }, "\(scenario.id): \(scenario.reasons)")
            #expect(planted.stdout.contains(scenario.id))
        }
        // No EXEC-002 scenario lost any error prevention: its on arm was untouched.
        // (Its times may differ between two runs on a shared machine; the gate
        // judges those too, so they are not asserted here.)
        for scenario in comparison.scenarios where scenario.id.hasPrefix("exec-002/") {
            #expect(!scenario.reasons.contains { $0.hasPrefix("Errors regressed") }, "\(scenario.id): \(scenario.reasons)")
        }
        #expect(planted.stdout.contains("faultbench compare: REGRESSION (exit 2)"))
        #expect(MountTable.fuseMounts(under: dir.path).isEmpty)
    }

    @Test("two shards merged give the whole run's trials: the same outcome and errors per trial index, and the same error counts",
          .timeLimit(.minutes(10)))
    func shardsMergeToWhole() throws {
        let dir = try TemporaryDirectory("gate-e2e")
        defer { try? dir.remove() }
        let common = ["run", "--scenarios", repositoryRoot + "/scenarios", "--scenario", "exec-004/*",
                      "--trials", "5", "--seed", "21", "--jobs", "2"]
        let whole = try faultbench(common + ["--results", "whole"], in: dir, timeout: 600)
        #expect(whole.succeeded, "\(whole)")
        for i in 1...2 {
            let shard = try faultbench(common + ["--results", "shard\(i)", "--shard", "\(i)/2"], in: dir, timeout: 600)
            #expect(shard.succeeded, "\(shard)")
        }
        let (_, wholeRun) = try onlyResult(in: dir.path("whole"))
        let (path1, shard1) = try onlyResult(in: dir.path("shard1"))
        let (path2, shard2) = try onlyResult(in: dir.path("shard2"))
        #expect(shard1.options.shard == Shard(number: 1, count: 2) && shard2.options.shard == Shard(number: 2, count: 2))
        #expect(shard1.complete && shard2.complete)
        // Each shard ran its slice of the measured trials, and the warm-ups.
        #expect(shard1.trials.filter { !$0.warmup }.allSatisfy { $0.index % 2 == 0 })
        #expect(shard2.trials.filter { !$0.warmup }.allSatisfy { $0.index % 2 == 1 })
        #expect(shard1.trials.filter(\.warmup).count == 8 && shard2.trials.filter(\.warmup).count == 8)

        let merge = try faultbench(["merge", path2, path1, "--output", "merged.json"], in: dir)
        #expect(merge.succeeded, "\(merge)")
        let merged = try { switch ResultFile.read(dir.path("merged.json")) { case .success(let r): return r; case .failure(let e): throw e } }()
        #expect(merged.complete && merged.options.shard == nil)
        #expect(merged.mergedFrom?.count == 2)
        #expect(merged.trials.map(\.index) == wholeRun.trials.map(\.index))
        // Per trial index: the same scenario, arm, number and outcome. The
        // times differ by nature (another moment, another load), so the time
        // figures are not compared.
        for (a, b) in zip(merged.trials, wholeRun.trials) where !a.warmup {
            #expect(a.scenario == b.scenario && a.arm == b.arm && a.number == b.number && a.id == b.id, "trial \(a.index)")
            #expect(a.outcome == b.outcome, "trial \(a.index) of \(a.scenario) (\(a.arm)): \(a.outcome) merged, \(b.outcome) whole")
        }
        let mergedFigures = try #require(merged.figures), wholeFigures = try #require(wholeRun.figures)
        #expect(mergedFigures.scenarios.map(\.arms.off.outcomes) == wholeFigures.scenarios.map(\.arms.off.outcomes))
        #expect(mergedFigures.scenarios.map(\.arms.on.outcomes) == wholeFigures.scenarios.map(\.arms.on.outcomes))
        #expect(mergedFigures.scenarios.map(\.prevention) == wholeFigures.scenarios.map(\.prevention))
        #expect(mergedFigures.suite.pooled.prevention == wholeFigures.suite.pooled.prevention)

        // The merged result is a whole run: it can be the baseline, and a shard cannot.
        #expect(try faultbench(["baseline", "update", "merged.json"], in: dir).succeeded)
        let refused = try faultbench(["baseline", "update", path1], in: dir)
        #expect(refused.exit == .exited(1))
        // And a shard given twice is refused, with nothing written.
        let twice = try faultbench(["merge", path1, path1, "--output", "twice.json"], in: dir)
        #expect(twice.exit == .exited(1) && twice.stderr.contains("their slices overlap"), "\(twice)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("twice.json")))
    }

    @Test("an interrupted shard run without --trials resumes as the same shard and completes its slice",
          .timeLimit(.minutes(10)))
    func resumeShard() throws {
        let dir = try TemporaryDirectory("gate-e2e")
        defer { try? dir.remove() }
        let binary = try FaultbenchBinary.path()
        // No --trials: each scenario's own count (20), which the journal records as -1.
        let arguments = ["run", "--scenarios", repositoryRoot + "/scenarios", "--results", dir.path("results"),
                         "--scenario", "exec-004/*", "--seed", "5", "--jobs", "1", "--shard", "2/2"]
        let process = try ChildProcess.spawn(binary, arguments, cwd: dir.path, environment: ["CI": "1"],
                                             stdout: dir.path("out"), stderr: dir.path("err"))
        // Wait for a few trials in the journal, then interrupt as a terminal would.
        let journal = RunJournal.waitForLines(in: dir.path("results"))
        process.send(SIGINT)
        #expect(process.wait(timeout: 60) == .exited(130))
        let path = try #require(journal)
        #expect(path.hasSuffix("-shard2of2.journal.jsonl"), "\(path)")
        // --resume without --shard: the journal says which shard this is.
        let resumed = try Tool.run(binary, Array(arguments.dropLast(2)) + ["--resume", path], cwd: dir.path,
                                   environment: ["CI": "1"], timeout: 600)
        #expect(resumed.succeeded, "\(resumed)")
        let (_, run) = try onlyResult(in: dir.path("results"))
        #expect(run.complete)
        #expect(run.options.shard == Shard(number: 2, count: 2))
        let measured = run.trials.filter { !$0.warmup }
        // Four scenarios of 20 trials per arm: 160 measured, every odd index is shard 2's.
        #expect(measured.count == 80)
        #expect(measured.allSatisfy { $0.index % 2 == 1 })
        #expect(Set(run.trials.map(\.index)).count == run.trials.count)
        #expect(MountTable.fuseMounts(under: dir.path).isEmpty)
    }
}
