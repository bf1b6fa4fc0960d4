#if canImport(Glibc)
import Glibc
#endif
import Determinism
import FaultFSTestSupport
import SystemPackage
import Testing

extension MountTests {
    /// Thousands of seeded random file operations checked against an
    /// in-memory model after every step (issue 2, test 9).
    @Suite("Random operations", .timeLimit(.minutes(8)))
    struct RandomOperations {
        /// `FAULTBENCH_TEST_SEED` replays another seed; the default is fixed
        /// so every run does the same operations.
        static var seed: UInt64 {
            if let raw = getenv("FAULTBENCH_TEST_SEED"), let value = UInt64(String(cString: raw)) { return value }
            return 20_261_125
        }
        static var steps: Int {
            if let raw = getenv("FAULTBENCH_TEST_STEPS"), let value = Int(String(cString: raw)), value > 0 { return value }
            return 3000
        }

        @Test("≥3000 random pwrite/truncate/pread/rename/unlink/reopen/append steps match the model")
        func randomOperations() throws {
            let seed = Self.seed, steps = Self.steps
            print("random operations: seed \(seed), \(steps) steps (replay with FAULTBENCH_TEST_SEED=\(seed))")
            try withMount { fs in
                var run = RandomRun(fs: fs, seed: seed)
                defer { run.closeAll() }
                for step in 0..<steps {
                    try run.step(step)
                }
                run.closeAll()
                try run.compareBacking()
                print("random operations: \(run.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
                #expect(run.counts.count >= 9, "every kind of operation ran")
            }
        }
    }
}

/// The state of one random run: the model of every file, and an open
/// read-write descriptor per file name.
struct RandomRun {
    let fs: MountedFS
    let seed: UInt64
    var generator: SplitMix64
    var model: [String: [UInt8]] = [:]
    var descriptors: [String: Int32] = [:]
    var counts: [String: Int] = [:]
    var recent: [String] = []
    static let names = (0..<8).map { "file\($0)" }
    static let maxSize = 512 * 1024

    init(fs: MountedFS, seed: UInt64) {
        self.fs = fs
        self.seed = seed
        self.generator = SplitMix64(seed: seed)
    }

    mutating func closeAll() {
        for fd in descriptors.values { _ = FS.close(fd) }
        descriptors = [:]
    }

    /// One random operation, then a check of every file it touched.
    mutating func step(_ number: Int) throws {
        let existing = model.keys.sorted()
        let roll = generator.int(0...99)
        var touched: [String] = []
        var op: String

        if existing.count < 2 || (roll < 5 && existing.count < Self.names.count) {
            let name = Self.names.first { model[$0] == nil }!
            op = "create \(name)"
            let fd = try checked(FS.open(fs.path(name), O_RDWR | O_CREAT | O_EXCL), op, number)
            descriptors[name] = fd
            model[name] = []
            touched = [name]
        } else {
            let name = existing[generator.int(0...existing.count - 1)]
            let fd = descriptors[name]!
            let size = model[name]!.count
            switch roll {
            case 5..<40:
                let length = generator.int(0...9) == 0 ? generator.int(16_385...70_000) : generator.int(1...16_384)
                let offset = generator.int(0...max(0, min(size + 65_536, Self.maxSize - length)))
                let data = generator.bytes(length)
                op = "pwrite \(name) at \(offset) length \(length) (size \(size))"
                try checked(FS.pwriteAll(fd, data, at: offset), op, number)
                var content = model[name]!
                if offset > content.count { content += [UInt8](repeating: 0, count: offset - content.count) }
                let end = offset + length
                if end > content.count { content += [UInt8](repeating: 0, count: end - content.count) }
                content.replaceSubrange(offset..<end, with: data)
                model[name] = content
            case 40..<50:
                let newSize = generator.int(0...min(2 * size + 1000, Self.maxSize))
                let byPath = generator.int(0...1) == 0
                op = "\(byPath ? "truncate" : "ftruncate") \(name) from \(size) to \(newSize)"
                if byPath {
                    try checked(FS.truncate(fs.path(name), newSize), op, number)
                } else {
                    try checked(FS.ftruncate(fd, newSize), op, number)
                }
                var content = model[name]!
                if newSize < content.count { content.removeLast(content.count - newSize) } else {
                    content += [UInt8](repeating: 0, count: newSize - content.count)
                }
                model[name] = content
            case 50..<63:
                let offset = generator.int(0...size + 4096)
                let length = generator.int(1...20_000)
                op = "pread \(name) at \(offset) length \(length) (size \(size))"
                let got = try checked(FS.pread(fd, count: length, at: offset), op, number)
                let content = model[name]!
                let expected = offset >= content.count ? [] : Array(content[offset..<min(offset + length, content.count)])
                if !FS.same(got, expected) {
                    throw failure(number, op, "pread returned \(got.count) bytes, the model has \(expected.count)\(firstDifference(got, expected))")
                }
            case 63..<71:
                let target = Self.names[generator.int(0...Self.names.count - 1)]
                if target == name { fallthrough }
                op = "rename \(name) -> \(target)\(model[target] == nil ? "" : " (replacing it)")"
                if let replaced = descriptors[target] {
                    // The replaced file's descriptor still reads its old bytes.
                    let old = try checked(FS.preadAll(replaced), op + ": read the replaced file via its fd", number)
                    if !FS.same(old, model[target]!) {
                        throw failure(number, op, "the replaced file's fd reads \(old.count) bytes, the model had \(model[target]!.count)")
                    }
                    _ = FS.close(replaced)
                }
                try checked(FS.rename(fs.path(name), fs.path(target)), op, number)
                model[target] = model.removeValue(forKey: name)
                descriptors[target] = descriptors.removeValue(forKey: name)
                if FS.lstat(fs.path(name)).errno != .noSuchFileOrDirectory {
                    throw failure(number, op, "\(name) still exists after the rename")
                }
                touched = [target]
            case 71..<78:
                op = "unlink and recreate \(name)"
                try checked(FS.unlink(fs.path(name)), op, number)
                _ = FS.close(fd)
                descriptors[name] = try checked(FS.open(fs.path(name), O_RDWR | O_CREAT | O_EXCL), op, number)
                model[name] = []
            case 78..<86:
                let truncate = generator.int(0...4) == 0
                op = "reopen \(name)\(truncate ? " with O_TRUNC" : "")"
                _ = FS.close(fd)
                descriptors[name] = try checked(FS.open(fs.path(name), O_RDWR | (truncate ? O_TRUNC : 0)), op, number)
                if truncate { model[name] = [] }
            case 86..<93:
                let data = generator.bytes(generator.int(1...9000))
                op = "append \(data.count) bytes to \(name) (size \(size))"
                let appender = try checked(FS.open(fs.path(name), O_WRONLY | O_APPEND), op, number)
                let written = FS.write(appender, data)
                _ = FS.close(appender)
                if try checked(written, op, number) != data.count { throw failure(number, op, "short append") }
                model[name]! += data
            case 93..<97:
                op = "fsync \(name)"
                try checked(FS.fsync(fd), op, number)
            default:
                op = "unlink \(name)"
                try checked(FS.unlink(fs.path(name)), op, number)
                _ = FS.close(fd)
                descriptors[name] = nil
                model[name] = nil
                if FS.lstat(fs.path(name)).errno != .noSuchFileOrDirectory {
                    throw failure(number, op, "\(name) still exists after unlink")
                }
            }
            if touched.isEmpty && model[name] != nil { touched = [name] }
        }
        counts[op.split(separator: " ").first.map(String.init) ?? op, default: 0] += 1
        recent.append("\(number): \(op)")
        if recent.count > 15 { recent.removeFirst() }

        for name in touched {
            let expected = model[name]!
            let viaPath = try checked(FS.readFile(fs.path(name)), "read \(name) after \(op)", number)
            if !FS.same(viaPath, expected) {
                throw failure(number, op, "\(name) through the mount has \(viaPath.count) bytes, the model \(expected.count)\(firstDifference(viaPath, expected))")
            }
            let st = try checked(FS.fstat(descriptors[name]!), "fstat \(name)", number)
            if st.st_size != expected.count {
                throw failure(number, op, "fstat of \(name) says \(st.st_size) bytes, the model \(expected.count)")
            }
        }
    }

    /// Every file in the backing directory equals its model, and there is
    /// nothing else there.
    func compareBacking() throws {
        let listed = try must(FS.listDirectory(fs.backing), "list the backing")
        #expect(listed == model.keys.sorted(), "seed \(seed): the backing holds \(listed), the model \(model.keys.sorted())")
        for (name, expected) in model {
            let stored = try must(FS.readFile(fs.backingPath(name)), "read \(name) in the backing")
            #expect(FS.same(stored, expected), "seed \(seed): \(name) in the backing has \(stored.count) bytes, the model \(expected.count)\(firstDifference(stored, expected))")
        }
    }

    @discardableResult
    func checked<T>(_ result: Result<T, Errno>, _ op: String, _ number: Int) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let e): throw failure(number, op, "failed with \(e) (errno \(e.rawValue))")
        }
    }

    func failure(_ number: Int, _ op: String, _ what: String) -> SupportError {
        SupportError("seed \(seed), step \(number), \(op): \(what).\nlast steps:\n\(recent.joined(separator: "\n"))")
    }
}

/// ", first difference at byte N" or "".
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    for i in 0..<min(a.count, b.count) where a[i] != b[i] {
        return ", first difference at byte \(i) (\(a[i]) vs \(b[i]))"
    }
    return ""
}
