import Foundation
import Gate
import Results
import Testing

/// `Gate.merge` on fixture shards: what it refuses, and what it keeps.
@Suite("merge on fixture shards")
struct MergeTests {
    typealias Cell = Fixture.Cell

    /// The whole fixture run cut into n shards as `run --shard` cuts it.
    static func shards(_ count: Int, seed: UInt64 = 1) -> [RunResult] {
        let whole = Fixture.run([Cell("p/a", offErrors: 5, onErrors: 1, n: 6, warmups: 1),
                                 Cell("p/b", offErrors: 6, onErrors: 0, n: 6, warmups: 1)], seed: seed)
        return (1...count).map { number in
            let shard = Shard(number: number, count: count)
            var part = whole
            part.options.shard = shard
            part.runID = "fixture-s\(seed)-shard\(number)of\(count)"
            part.trials = whole.trials.filter { $0.warmup || shard.owns(index: $0.index) }
            return part
        }
    }

    static func names(_ n: Int) -> [String] { (1...n).map { "s\($0).json" } }

    @Test("three shards merge into the whole run: every trial once, figures recomputed, mergedFrom recorded")
    func mergesWhole() throws {
        let parts = Self.shards(3)
        let merged = try Gate.merge(parts, names: Self.names(3)).get()
        let whole = Fixture.run([Cell("p/a", offErrors: 5, onErrors: 1, n: 6, warmups: 1),
                                 Cell("p/b", offErrors: 6, onErrors: 0, n: 6, warmups: 1)])
        #expect(merged.trials == whole.trials)
        #expect(merged.options.shard == nil && merged.complete)
        #expect(merged.runID == "fixture-s1-merged")
        #expect(merged.mergedFrom?.map(\.shard.number) == [1, 2, 3])
        let figures = try #require(merged.figures)
        #expect(figures.scenarios.map(\.arms.off.errors) == [5, 6])
        #expect(figures.scenarios.map(\.arms.on.errors) == [1, 0])
        // Given in any order, the same result.
        let shuffled = try Gate.merge([parts[2], parts[0], parts[1]], names: ["c", "a", "b"]).get()
        #expect(shuffled.trials == merged.trials)
    }

    @Test("refused: a shard twice, a shard missing, a shard of another run, an interrupted shard, a whole run, a foreign trial")
    func refusals() {
        func refused(_ runs: [RunResult], _ names: [String]? = nil) -> String? {
            if case .failure(let error) = Gate.merge(runs, names: names ?? Self.names(runs.count)) { return error.description }
            return nil
        }
        let parts = Self.shards(3)
        #expect(refused([parts[0], parts[1], parts[1]])?.contains("are both shard 2/3; their slices overlap") == true)
        #expect(refused([parts[0], parts[2]])?.contains("shard 2/3 of the run is missing") == true)
        #expect(refused([parts[0]])?.contains("at least two shards") == true)

        var otherSeed = Self.shards(3, seed: 2)[1]
        otherSeed.runID = "x"
        #expect(refused([parts[0], otherSeed, parts[2]])?.contains("not a shard of the same run") == true)
        #expect(refused([parts[0], otherSeed, parts[2]])?.contains("seed 1 against 2") == true)

        var otherExecutor = parts[1]
        otherExecutor.options.executors["on"] = ["y", "on"]
        #expect(refused([parts[0], otherExecutor, parts[2]])?.contains("executors") == true)

        var otherFile = parts[1]
        otherFile.scenarios[0].sha256 = String(repeating: "c", count: 64)
        #expect(refused([parts[0], otherFile, parts[2]])?.contains("scenario p/a comes from different files") == true)

        var partial = parts[1]
        partial.complete = false
        #expect(refused([parts[0], partial, parts[2]])?.contains("partial (interrupted) shard 2/3") == true)

        var whole = parts[1]
        whole.options.shard = nil
        #expect(refused([parts[0], whole, parts[2]])?.contains("is not a shard") == true)

        var twoOfFour = parts[1]
        twoOfFour.options.shard = Shard(number: 2, count: 4)
        #expect(refused([parts[0], twoOfFour, parts[2]])?.contains("share the same n") == true)

        // A trial of shard 1 planted in shard 2.
        var foreign = parts[1]
        foreign.trials.append(parts[0].trials.first { !$0.warmup }!)
        #expect(refused([parts[0], foreign, parts[2]])?.contains("belongs to shard 1/3, not 2/3") == true)

        var otherMachine = parts[1]
        otherMachine.environment.kernel = "Linux 9"
        #expect(refused([parts[0], otherMachine, parts[2]])?.contains("different environment") == true)
        #expect((try? Gate.merge([parts[0], otherMachine, parts[2]], names: Self.names(3), allowEnvironmentChange: true).get()) != nil)
    }

    @Test("shard slices: n slices of a plan cover every measured index once")
    func slices() {
        for count in [1, 2, 3, 7] {
            var owners = Array(repeating: 0, count: 100)
            for number in 1...count {
                let shard = Shard(number: number, count: count)
                for k in 0..<100 where shard.owns(index: k) { owners[k] += 1 }
            }
            #expect(owners.allSatisfy { $0 == 1 })
        }
        #expect(Shard.parse("2/4") == Shard(number: 2, count: 4))
        for bad in ["0/2", "3/2", "1/0", "-1/2", "a/b", "1", "1/2/3", "", "1/99999999999999999999", " 1/2"] {
            #expect(Shard.parse(bad) == nil, "\(bad)")
        }
    }
}
