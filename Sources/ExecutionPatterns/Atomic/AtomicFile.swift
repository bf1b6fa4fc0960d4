#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Determinism
import SystemPackage

/// EXEC-004: write, copy and move files so that a reader, or a machine that lost power, sees the old content or the new, never a mixture.
///
/// Every write goes to a temporary file in the destination's directory
/// (created with `O_CREAT|O_EXCL` under a random name with a recognizable
/// prefix, and locked with `flock` until it is renamed), all bytes are written
/// (short writes looped, EINTR retried), the file is fsynced and closed with
/// the result checked, the destination's permissions are carried over, the
/// temporary is renamed over the destination and the directory is fsynced.
/// Any failure before the rename removes the temporary; nothing is removed
/// after it. Each call first removes the temporaries a crashed earlier call
/// left for the same destination (those whose lock nobody holds).
///
/// Unlike the seed's `atomic_write`, which renames without fsync: after a
/// power cut a rename can be durable while the data it points to is not, and
/// the file comes back empty or full of zeros.
///
/// Anti-pattern: opening the destination with `O_TRUNC` and writing in
/// place; a crash or a full disk in between leaves a truncated file.
public enum AtomicFile {
    /// How the new file's permission bits are chosen.
    public enum Permissions: Sendable, Equatable {
        /// The existing destination's bits; for a new file, the source's for a
        /// copy and `0o666 & ~umask` for a write.
        case keepExisting
        /// Exactly these bits.
        case exactly(mode_t)
    }

    /// The boundaries between the steps of an atomic write, in order.
    public enum Step: String, Sendable, CaseIterable {
        case removedStaleTemporaries
        case createdTemporary
        case wroteData
        case syncedFile
        case closedFile
        /// The temporary replaced (or, without replacing, was linked to) the destination.
        case published
        case syncedDirectory
    }

    /// What a step hook tells the writer to do next.
    public enum HookAction: Sendable {
        case proceed
        /// Stop at once, as a process killed at this point would: no cleanup.
        case abandon
    }

    /// Options for the atomic operations.
    public struct Options: Sendable {
        /// Replace an existing destination; when false, fail with `destinationExists` instead (link + unlink, atomic too).
        public var replaceExisting: Bool
        /// How the permission bits are chosen.
        public var permissions: Permissions
        /// Called at every step boundary with the step just completed and the temporary's path.
        ///
        /// For tests and fault injection: a crash at any boundary is simulated
        /// by returning `.abandon` and then checking what is on disk.
        public var stepHook: (@Sendable (Step, FilePath) -> HookAction)?

        public init(replaceExisting: Bool = true, permissions: Permissions = .keepExisting, stepHook: (@Sendable (Step, FilePath) -> HookAction)? = nil) {
            self.replaceExisting = replaceExisting
            self.permissions = permissions
            self.stepHook = stepHook
        }
    }

    /// The marker in every temporary file's name: `.<name>.atomic-tmp.<16 hex digits>`.
    public static let temporaryMarker = ".atomic-tmp."

    /// On a filesystem without `flock`, a temporary older than this counts as stale.
    public static let staleAgeWithoutLocks: Duration = .seconds(600)

    /// Atomically replaces (or creates) `destination` with `bytes`.
    ///
    /// - Throws: `AtomicFileError`; unless its `published` is true, the destination is untouched.
    public static func write(_ bytes: [UInt8], to destination: FilePath, options: Options = Options()) throws(AtomicFileError) {
        try publish(to: destination, operation: .write, sourceMode: nil, options: options) { fd, temp in
            bytes.withUnsafeBytes { raw in
                Posix.writeAll(fd, raw).mapError { FileSystemError("write to temporary file", temp, $0) }.map { _ in () }
            }
        }
    }

    /// Atomically writes UTF-8 text.
    public static func write(_ text: String, to destination: FilePath, options: Options = Options()) throws(AtomicFileError) {
        try write(Array(text.utf8), to: destination, options: options)
    }

    /// Atomically copies `source` over `destination`, streaming the bytes.
    ///
    /// The source is read to end of file; if that is fewer bytes than its
    /// `fstat` size said (a short read, or a file cut meanwhile), nothing is published.
    public static func copy(from source: FilePath, to destination: FilePath, options: Options = Options()) throws(AtomicFileError) {
        let src: Int32
        switch Posix.openFile(source, O_RDONLY | O_NOCTTY) {
        case .success(let fd): src = fd
        case .failure(let e): throw AtomicFileError(.copy, destination, .system(FileSystemError("open the source for reading", source, e)))
        }
        defer { _ = Posix.closeFile(src) }
        let st: stat
        switch Posix.fstatFile(src) {
        case .success(let s): st = s
        case .failure(let e): throw AtomicFileError(.copy, destination, .system(FileSystemError("fstat the source", source, e)))
        }
        guard st.isRegularFile else { throw AtomicFileError(.copy, destination, .sourceNotRegularFile(source)) }
        let expected = Int(st.st_size)
        try publish(to: destination, operation: .copy, sourceMode: st.permissionBits, options: options) { fd, temp in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var copied = 0
            while true {
                let n: Int
                switch buffer.withUnsafeMutableBytes({ Posix.readSome(src, into: $0) }) {
                case .success(let got): n = got
                case .failure(let e): return .failure(FileSystemError("read the source", source, e))
                }
                if n == 0 { break }
                let written = buffer.withUnsafeBytes { Posix.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                if case .failure(let e) = written { return .failure(FileSystemError("write to temporary file", temp, e)) }
                copied += n
            }
            if copied < expected { return .failure(FileSystemError("read all \(expected) bytes of the source (got \(copied))", source, .ioError)) }
            return .success(())
        }
    }

    /// Atomically moves `source` to `destination`, fsyncing both directories.
    ///
    /// Within one filesystem this is a rename (or link + unlink when not
    /// replacing); across filesystems it is an atomic copy followed by
    /// removing the source, so a crash in between leaves both files, never
    /// neither. The file keeps its own permission bits.
    public static func move(from source: FilePath, to destination: FilePath, options: Options = Options()) throws(AtomicFileError) {
        let sourceDir = directory(of: source)
        let destDir = directory(of: destination)
        let moved: Result<Void, Errno>
        if options.replaceExisting {
            moved = Posix.rename(source, destination)
        } else {
            moved = Posix.link(source, destination)
            if case .success = moved, case .failure(let e) = Posix.unlink(source) {
                // The destination is published (a second name of the source's
                // inode); only the source name is left over.
                throw AtomicFileError(.move, destination, .system(FileSystemError(
                    "remove the source name after linking it to \(destination) (both names now exist)", source, e)), published: true)
            }
        }
        switch moved {
        case .success:
            if options.stepHook?(.published, source) == .abandon { throw AtomicFileError(.move, destination, .abandoned(.published), published: true) }
        case .failure(.improperLink):
            try copy(from: source, to: destination, options: options)
            if case .failure(let e) = Posix.unlink(source) {
                throw AtomicFileError(.move, destination, .system(FileSystemError("remove the source after copying it across filesystems", source, e)), published: true)
            }
        case .failure(.fileExists) where !options.replaceExisting:
            throw AtomicFileError(.move, destination, .destinationExists)
        case .failure(let e):
            throw AtomicFileError(.move, destination, .system(FileSystemError(options.replaceExisting ? "rename \(source) to" : "link \(source) to", destination, e)))
        }
        for dir in sourceDir == destDir ? [destDir] : [destDir, sourceDir] {
            if case .failure(let e) = Posix.syncDirectory(dir) {
                throw AtomicFileError(.move, destination, .system(FileSystemError("fsync the directory", dir, e)), published: true)
            }
        }
        _ = options.stepHook?(.syncedDirectory, source)
    }

    /// Removes the temporaries that crashed calls left for `destination`; returns what was removed.
    ///
    /// A temporary is stale when no process holds its `flock`: a live writer
    /// holds it from creation to rename, and the kernel drops it when the
    /// writer dies. Where `flock` is not supported, age decides
    /// (`staleAgeWithoutLocks`).
    ///
    /// No live temporary is ever removed: the writer keeps the lock through
    /// the checked `close` until after the rename (on a second descriptor),
    /// and the one moment a live temporary is unlocked, between its creation
    /// and its lock, is covered from the writer's side: it waits for the
    /// lock and, if a sweep removed the name meanwhile, starts over under a
    /// new name.
    @discardableResult
    public static func removeStaleTemporaries(for destination: FilePath) -> [FilePath] {
        let dir = directory(of: destination)
        let prefix = temporaryPrefix(for: destination)
        guard case .success(let names) = Posix.directoryEntries(dir) else { return [] }
        var removed: [FilePath] = []
        for name in names where name.hasPrefix(prefix) && name.utf8.count == prefix.utf8.count + 16 {
            let path = dir.appending(name)
            guard case .success(let fd) = Posix.openFile(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY) else { continue }
            let stale: Bool
            switch Posix.flockFile(fd, LOCK_EX | LOCK_NB) {
            case .success: stale = true
            case .failure(.wouldBlock): stale = false
            case .failure:
                // A filesystem without flock: fall back to age; a live writer
                // touches its temporary for far less than this.
                let now = Posix.fileTimestampNow()
                if case .success(let st) = Posix.fstatFile(fd) {
                    stale = Int(now.tv_sec) - Int(st.st_mtim.tv_sec) > Int(staleAgeWithoutLocks.components.seconds)
                } else {
                    stale = false
                }
            }
            if stale, case .success = Posix.unlink(path) { removed.append(path) }
            _ = Posix.closeFile(fd)
        }
        return removed
    }

    /// Whether `name` is a temporary file name this library makes.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(temporaryMarker)
    }

    /// Whether `path` still names the file open as `fd` (a sweep may have unlinked it).
    private static func isStillNamed(_ fd: Int32, _ path: FilePath) -> Bool {
        guard case .success(let open) = Posix.fstatFile(fd), open.st_nlink > 0,
              case .success(let named) = Posix.statPath(path, followSymlinks: false) else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    static func directory(of path: FilePath) -> FilePath {
        let dir = path.removingLastComponent()
        return dir.isEmpty ? "." : dir
    }

    static func temporaryPrefix(for destination: FilePath) -> String {
        // Leave room for the marker and the random part within NAME_MAX (255).
        var base = destination.lastComponent?.string ?? "file"
        while base.utf8.count > 200 { base.removeLast() }
        return "." + base + temporaryMarker
    }

    /// The shared sequence: temporary, fill, fsync, close, chmod, publish, fsync the directory.
    private static func publish(
        to destination: FilePath,
        operation: AtomicFileError.Operation,
        sourceMode: mode_t?,
        options: Options,
        fill: (Int32, FilePath) -> Result<Void, FileSystemError>
    ) throws(AtomicFileError) {
        func fail(_ e: FileSystemError) -> AtomicFileError { AtomicFileError(operation, destination, .system(e)) }
        let dir = directory(of: destination)
        removeStaleTemporaries(for: destination)
        let hook = options.stepHook
        if hook?(.removedStaleTemporaries, destination) == .abandon { throw AtomicFileError(operation, destination, .abandoned(.removedStaleTemporaries)) }

        var mode: mode_t? = nil
        switch options.permissions {
        case .exactly(let m): mode = m
        case .keepExisting:
            switch Posix.statPath(destination) {
            case .success(let st):
                if !options.replaceExisting { throw AtomicFileError(operation, destination, .destinationExists) }
                mode = st.permissionBits
            case .failure(.noSuchFileOrDirectory): mode = sourceMode
            case .failure(let e): throw fail(FileSystemError("stat the destination", destination, e))
            }
        }

        let prefix = temporaryPrefix(for: destination)
        var temp = FilePath()
        var fd: Int32 = -1
        for _ in 0..<8 {
            temp = dir.appending(prefix + SHA256.hex(Posix.randomBytes(8)))
            switch Posix.openFile(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666) {
            case .success(let d): fd = d
            case .failure(.fileExists): continue
            case .failure(let e): throw fail(FileSystemError("create a temporary file in", dir, e))
            }
            // The lock tells `removeStaleTemporaries` this file is alive. A
            // sweep that opened the file before it was locked may hold the
            // lock for a moment and unlink the name: wait (a bounded time) for
            // the lock, then make sure the name still leads to this file, else
            // start over under another name.
            var locked = Posix.flockFile(fd, LOCK_EX | LOCK_NB)
            for _ in 0..<200 {
                guard case .failure(.wouldBlock) = locked else { break }
                SystemClock().sleepBlocking(for: .milliseconds(5))
                locked = Posix.flockFile(fd, LOCK_EX | LOCK_NB)
            }
            let ours: Bool
            switch locked {
            case .success: ours = isStillNamed(fd, temp)
            // Held for a second by someone else: not a name to use.
            case .failure(.wouldBlock): ours = false
            // A filesystem without flock, where `removeStaleTemporaries` goes by age.
            case .failure: ours = true
            }
            if !ours {
                _ = Posix.closeFile(fd)
                fd = -1
                continue
            }
            break
        }
        guard fd >= 0 else { throw fail(FileSystemError("create a temporary file with a unique name in", dir, .fileExists)) }
        // The lock lives as long as any descriptor of the open file: this
        // second one keeps it from the checked `close` of the first until the
        // temporary has been renamed, so no sweep sees it unlocked while it is alive.
        let lockFD: Int32
        switch Posix.duplicate(fd) {
        case .success(let d): lockFD = d
        case .failure(let e):
            _ = Posix.closeFile(fd)
            _ = Posix.unlink(temp)
            throw fail(FileSystemError("duplicate the descriptor of", temp, e))
        }
        defer { _ = Posix.closeFile(lockFD) }

        var open = true
        var tempExists = true
        func cleanUp() {
            if open { _ = Posix.closeFile(fd); open = false }
            if tempExists { _ = Posix.unlink(temp); tempExists = false }
        }
        func step(_ s: Step) throws(AtomicFileError) {
            guard hook?(s, temp) == .abandon else { return }
            // A killed process leaves its temporary behind; its descriptors (and lock) go away.
            if open { _ = Posix.closeFile(fd); open = false }
            throw AtomicFileError(operation, destination, .abandoned(s), published: s == .published)
        }
        try step(.createdTemporary)

        if case .failure(let e) = fill(fd, temp) { cleanUp(); throw fail(e) }
        if let mode, case .failure(let e) = Posix.fchmodFile(fd, mode) {
            cleanUp()
            throw fail(FileSystemError("set the permissions of", temp, e))
        }
        try step(.wroteData)
        if case .failure(let e) = Posix.fsyncFile(fd) { cleanUp(); throw fail(FileSystemError("fsync", temp, e)) }
        try step(.syncedFile)
        open = false
        if case .failure(let e) = Posix.closeFile(fd) { cleanUp(); throw fail(FileSystemError("close", temp, e)) }
        try step(.closedFile)

        if options.replaceExisting {
            if case .failure(let e) = Posix.rename(temp, destination) {
                cleanUp()
                throw fail(FileSystemError("rename \(temp) to", destination, e))
            }
            tempExists = false
        } else {
            switch Posix.link(temp, destination) {
            case .success:
                // The destination is a second name of the temporary's inode; the temporary name can go.
                _ = Posix.unlink(temp)
                tempExists = false
            case .failure(.fileExists):
                cleanUp()
                throw AtomicFileError(operation, destination, .destinationExists)
            case .failure(let e):
                cleanUp()
                throw fail(FileSystemError("link \(temp) to", destination, e))
            }
        }
        try step(.published)
        if case .failure(let e) = Posix.syncDirectory(dir) {
            throw AtomicFileError(operation, destination, .system(FileSystemError("fsync the directory", dir, e)), published: true)
        }
        try step(.syncedDirectory)
    }
}
