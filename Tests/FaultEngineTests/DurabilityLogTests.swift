import Testing
@testable import FaultEngine

/// An in-memory filesystem that feeds a `DurabilityLog` exactly as FaultFS would, and applies its undo plans.
struct ModelFS {
    var files: [UInt64: [UInt8]] = [:]
    var names: [String: UInt64] = [:]
    /// Files FaultFS keeps outside the mount, by stash name.
    var stashed: [String: UInt64] = [:]
    var log = DurabilityLog<UInt64>(blockSize: 16)
    var nextInode: UInt64 = 1

    mutating func create(_ path: String) -> UInt64 {
        let inode = nextInode
        nextInode += 1
        files[inode] = []
        names[path] = inode
        log.didCreate(path: path)
        return inode
    }

    mutating func write(_ inode: UInt64, at offset: Int, _ bytes: [UInt8]) {
        var data = files[inode]!
        for range in log.willWrite(file: inode, offset: Int64(offset), length: bytes.count, oldSize: Int64(data.count)) {
            log.recordSaved(file: inode, offset: range.lowerBound, oldBytes: Array(data[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        if data.count < offset + bytes.count { data += [UInt8](repeating: 0, count: offset + bytes.count - data.count) }
        data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        files[inode] = data
    }

    mutating func truncate(_ inode: UInt64, to size: Int) {
        var data = files[inode]!
        for range in log.willTruncate(file: inode, newSize: Int64(size), oldSize: Int64(data.count)) {
            log.recordSaved(file: inode, offset: range.lowerBound, oldBytes: Array(data[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        data = size <= data.count ? Array(data[..<size]) : data + [UInt8](repeating: 0, count: size - data.count)
        files[inode] = data
    }

    mutating func rename(_ from: String, _ to: String) {
        names[to] = names.removeValue(forKey: from)
        log.didRename(from: from, to: to)
    }

    mutating func apply(_ actions: [UndoAction<UInt64>]) {
        for action in actions {
            switch action {
            case .restore(let inode, let offset, let bytes):
                var data = files[inode]!
                let end = Int(offset) + bytes.count
                if data.count < end { data += [UInt8](repeating: 0, count: end - data.count) }
                data.replaceSubrange(Int(offset)..<end, with: bytes)
                files[inode] = data
            case .zero(let inode, let offset, let length):
                apply([.restore(file: inode, offset: offset, bytes: [UInt8](repeating: 0, count: Int(length)))])
            case .setSize(let inode, let size):
                var data = files[inode]!
                data = Int(size) <= data.count ? Array(data[..<Int(size)]) : data + [UInt8](repeating: 0, count: Int(size) - data.count)
                files[inode] = data
            case .remove(let path):
                names[path] = nil
            case .rename(let from, let to):
                names[to] = names.removeValue(forKey: from)
            case .unstash(let stash, let to):
                names[to] = stashed.removeValue(forKey: stash)
            case .removeDirectory, .makeDirectory:
                break
            }
        }
    }
}

func bytes(_ value: UInt8, _ count: Int) -> [UInt8] { [UInt8](repeating: value, count: count) }

struct DurabilityLogTests {
    @Test func firstWriteWinsSoOnlyUnsavedRangesAreAsked() {
        var log = DurabilityLog<UInt64>()
        #expect(log.willWrite(file: 1, offset: 0, length: 100, oldSize: 1000) == [0..<100])
        #expect(log.willWrite(file: 1, offset: 50, length: 100, oldSize: 1000) == [100..<150])
        #expect(log.willWrite(file: 1, offset: 900, length: 500, oldSize: 1100) == [900..<1000], "bytes past the synced size need no saving")
        #expect(log.willWrite(file: 1, offset: 0, length: 150, oldSize: 1400).isEmpty)
        log.didSync(file: 1)
        #expect(!log.hasUnsyncedData(file: 1))
        #expect(log.willWrite(file: 1, offset: 0, length: 10, oldSize: 1400) == [0..<10])
    }

    @Test("power loss restores the last synced content", arguments: 0..<6)
    func powerLossRestoresSyncedState(scenario: Int) {
        var fs = ModelFS()
        let a = fs.create("a")
        fs.write(a, at: 0, bytes(1, 40))
        fs.log.didSync(file: a)
        fs.log.syncDirectory("")
        let synced = fs.files[a]!
        switch scenario {
        case 0: fs.write(a, at: 10, bytes(2, 5))                                  // overwrite
        case 1: fs.write(a, at: 30, bytes(3, 50))                                 // overwrite and extend
        case 2: fs.truncate(a, to: 8)                                              // shrink
        case 3: fs.truncate(a, to: 8); fs.write(a, at: 20, bytes(4, 30))          // shrink then write over the cut bytes
        case 4: fs.write(a, at: 0, bytes(5, 40)); fs.write(a, at: 5, bytes(6, 5)) // two overlapping writes
        default: fs.truncate(a, to: 100); fs.write(a, at: 60, bytes(7, 4))        // extend by truncate
        }
        #expect(fs.files[a]! != synced)
        fs.apply(fs.log.powerLossPlan(for: PowerLossPlan(seed: 1)))
        #expect(fs.files[a]! == synced)
    }

    @Test("random write, truncate and sync sequences roll back to the last sync", arguments: UInt64(1)...UInt64(40))
    func randomSequences(seed: UInt64) {
        var random = RandomStream(seed: seed)
        var fs = ModelFS()
        let files = [fs.create("a"), fs.create("b")]
        var synced: [UInt64: [UInt8]] = [files[0]: [], files[1]: []]
        for step in 0..<30 {
            let file = files[Int(random.next(below: 2))]
            switch random.next(below: 6) {
            case 0, 1, 2:
                let offset = Int(random.next(below: 100))
                let length = 1 + Int(random.next(below: 40))
                fs.write(file, at: offset, bytes(UInt8(truncatingIfNeeded: step + 1), length))
            case 3:
                fs.truncate(file, to: Int(random.next(below: 120)))
            default:
                fs.log.didSync(file: file)
                synced[file] = fs.files[file]!
            }
        }
        fs.apply(fs.log.powerLossPlan(seed: seed))
        for file in files { #expect(fs.files[file]! == synced[file]!, "file \(file) after seed \(seed)") }
    }

    @Test("random writes with a kept subset leave every block old or new", arguments: UInt64(1)...UInt64(30))
    func randomKeptSubsets(seed: UInt64) {
        var random = RandomStream(seed: seed &* 7919)
        var fs = ModelFS()
        let file = fs.create("a")
        fs.write(file, at: 0, bytes(0xEE, Int(random.next(below: 70))))
        fs.log.didSync(file: file)
        let synced = fs.files[file]!
        for step in 0..<8 {
            fs.write(file, at: Int(random.next(below: 120)), bytes(UInt8(step + 1), 1 + Int(random.next(below: 30))))
        }
        let written = fs.files[file]!
        fs.apply(fs.log.powerLossPlan(seed: seed, keepProbability: 0.5))
        let after = fs.files[file]!
        #expect(after.count >= synced.count && after.count <= written.count)
        func block(_ data: [UInt8], _ range: Range<Int>) -> [UInt8] {
            (range.lowerBound..<min(range.upperBound, after.count)).map { $0 < data.count ? data[$0] : 0 }
        }
        for start in stride(from: 0, to: after.count, by: 16) {
            let range = start..<(start + 16)
            let got = block(after, range)
            #expect(got == block(synced, range) || got == block(written, range), "block at \(start), seed \(seed)")
        }
    }

    @Test func syncedWritesSurviveAndLaterOnesDoNot() {
        var fs = ModelFS()
        let a = fs.create("a")
        fs.log.syncDirectory("")
        fs.write(a, at: 0, bytes(1, 20))
        fs.log.didSync(file: a)
        fs.write(a, at: 20, bytes(2, 20))
        fs.apply(fs.log.powerLossPlan(for: PowerLossPlan(seed: 1)))
        #expect(fs.files[a]! == bytes(1, 20))
    }

    @Test func fsyncFailDropsOnlyThatFile() {
        var fs = ModelFS()
        let a = fs.create("a"), b = fs.create("b")
        fs.write(a, at: 0, bytes(1, 10))
        fs.write(b, at: 0, bytes(2, 10))
        fs.apply(fs.log.dropUnsynced(file: a))
        #expect(fs.files[a]! == [])
        #expect(fs.files[b]! == bytes(2, 10))
        #expect(!fs.log.hasUnsyncedData(file: a) && fs.log.hasUnsyncedData(file: b))
    }

    @Test func metadataUndoRemovesUnsyncedCreatesAndRenamesBack() {
        var fs = ModelFS()
        let old = fs.create("dir/old")
        fs.write(old, at: 0, bytes(1, 4))
        fs.log.didSync(file: old)
        fs.log.syncDirectory("dir")
        let tmp = fs.create("dir/tmp")
        fs.write(tmp, at: 0, bytes(2, 4))
        fs.log.didSync(file: tmp)
        fs.rename("dir/tmp", "dir/new")
        fs.apply(fs.log.powerLossPlan(for: PowerLossPlan(seed: 1, metadata: true)))
        #expect(fs.names == ["dir/old": old])
        #expect(fs.log.pendingMetadata.count == 2)
    }

    @Test func renameBecomesDurableWhenBothParentsAreSynced() {
        var log = DurabilityLog<UInt64>()
        log.didRename(from: "a/x", to: "b/x")
        log.didUnlink(path: "a/y", stash: ".stash/1")
        log.syncDirectory("b")
        #expect(log.pendingMetadata.count == 2)
        #expect(log.syncDirectory("/a/") == [".stash/1"])
        #expect(log.pendingMetadata.isEmpty)
    }

    @Test func directoriesAndDeletedFiles() {
        var log = DurabilityLog<UInt64>()
        log.didMakeDirectory(path: "/d/")
        log.didRemoveDirectory(path: "e")
        _ = log.willWrite(file: 3, offset: 0, length: 5, oldSize: 0)
        log.didDelete(file: 3)
        #expect(!log.hasUnsyncedData(file: 3))
        #expect(log.powerLossPlan(seed: 1, metadata: true) == [.makeDirectory(path: "e"), .removeDirectory(path: "d")])
        log.reset()
        #expect(log.powerLossPlan(seed: 1, metadata: true).isEmpty)
    }

    @Test func undoOrderIsNewestFirst() {
        var log = DurabilityLog<UInt64>()
        log.didCreate(path: "f")
        _ = log.willWrite(file: 9, offset: 0, length: 5, oldSize: 0)
        log.didUnlink(path: "g", stash: ".stash/g")
        let plan = log.powerLossPlan(for: PowerLossPlan(seed: 1, metadata: true))
        #expect(plan == [.unstash(stash: ".stash/g", to: "g"), .setSize(file: 9, size: 0), .remove(path: "f")])
        #expect(log.powerLossPlan(for: PowerLossPlan(seed: 1, metadata: false)) == [.setSize(file: 9, size: 0)])
    }

    @Test("keeping a random subset leaves each block either old or new", arguments: [UInt64(1), 2, 3, 4])
    func keepRandomSubset(seed: UInt64) {
        var fs = ModelFS()
        let a = fs.create("a")
        fs.write(a, at: 0, bytes(1, 64))
        fs.log.didSync(file: a)
        let synced = fs.files[a]!
        fs.write(a, at: 0, bytes(2, 128))
        let written = fs.files[a]!
        let plan = PowerLossPlan(seed: seed, keepProbability: 0.5)
        let actions = fs.log.powerLossPlan(for: plan)
        #expect(actions == fs.log.powerLossPlan(for: plan), "the same seed keeps the same blocks")
        fs.apply(actions)
        let after = fs.files[a]!
        #expect(after.count % 16 == 0 && after.count >= 64 && after.count <= 128)
        var kept = 0
        for block in 0..<(after.count / 16) {
            let range = (block * 16)..<(block * 16 + 16)
            let old: [UInt8] = block < 4 ? Array(synced[range]) : bytes(0, 16)
            let new = Array(written[range])
            let got = Array(after[range])
            #expect(got == old || got == new)
            if got == new { kept += 1 }
        }
        #expect(kept > 0 && kept < 8, "seeds 1 to 4 keep some blocks and lose others")
    }
}
