#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls
import SystemPackage
import Synchronization

/// The passthrough filesystem: every FUSE request answered with the same
/// system call on the backing directory, through descriptors relative to it.
///
/// One instance serves one mount. libfuse reaches it through the session's
/// userdata pointer from its worker threads, so everything in it is either
/// immutable or behind a lock.
final class FileSystem: Sendable {
    let inodes: InodeTable
    let cache: CachePolicy
    /// The fault engine and durability log; an inert one, which no rule is
    /// ever armed in, for a plain passthrough.
    let faults: FaultContext
    /// Kernel passthrough for files no rule can reach.
    let passthrough: Passthrough
    /// The workers' right to read the device, given up before slow work.
    let leader = LeaderToken()
    /// What the worker answering a request read from it that libfuse drops.
    let requestFlags = RequestFlags()
    /// Orders writes against power losses.
    let crashGate = CrashGate()
    /// Thread id to process id, for callers (see `caller(_:)`).
    let threadGroups = Mutex([ThreadGroupSlot](repeating: ThreadGroupSlot(), count: ThreadGroupSlot.count))
    /// Where crashes and fsync-fails drop pages, never on a worker.
    let offWorker: OffWorker
    /// Files of READs and WRITEs that a crash fired on and that are not
    /// answered yet: they may hold those files' pages locked, so no
    /// crash drops those pages before they are answered (`powerLoss`).
    let crashesUnanswered = Mutex<[Inode]>([])
    /// The daemon's own credentials, restored after acting as a caller.
    private let ownUID: uid_t
    private let ownGID: gid_t
    private let ownGroups: [gid_t]

    init(rootFD: Int32, rootStat: stat, cache: CachePolicy, faults: FaultContext, passthrough: Passthrough, offWorker: OffWorker) {
        let root = Inode(fd: rootFD, key: InodeKey(rootStat), fileType: S_IFDIR, lookupCount: 2)
        self.inodes = InodeTable(root: root)
        self.cache = cache
        self.faults = faults
        self.passthrough = passthrough
        self.offWorker = offWorker
        self.ownUID = geteuid()
        self.ownGID = getegid()
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        if count > 0 { _ = getgroups(count, &groups) }
        self.ownGroups = groups
    }

    // MARK: - Replies

    @inline(__always)
    func reply(_ req: fuse_req_t, _ error: Errno) {
        fuse_reply_err(req, error.rawValue)
    }

    @inline(__always)
    func replyResult(_ req: fuse_req_t, _ result: Result<Int32, Errno>) {
        switch result {
        case .success: fuse_reply_err(req, 0)
        case .failure(let e): fuse_reply_err(req, e.rawValue)
        }
    }

    /// Replies with a new entry, taking its lookup reference back if the
    /// kernel did not get it (an interrupted request).
    func replyEntry(_ req: fuse_req_t, _ result: Result<(Inode, stat), Errno>, acting: OperationSet = []) {
        switch result {
        case .failure(let e):
            fuse_reply_err(req, e.rawValue)
        case .success(let (inode, st)):
            var entry = makeEntryParam(inode, st, acting: acting)
            if fuse_reply_entry(req, &entry) != 0 {
                inodes.forget(inode, count: 1)
            }
        }
    }

    /// An entry reply. A file on which a rule acts on lookup gets a zero
    /// entry timeout, and one on which a rule acts on getattr a zero
    /// attribute timeout, so every such call reaches the engine; names and
    /// attributes no rule can observe stay cached, as for untargeted files.
    /// `acting` are the operations rules act on for the file.
    func makeEntryParam(_ inode: Inode, _ st: stat, acting: OperationSet) -> fuse_entry_param {
        var entry = fuse_entry_param()
        entry.ino = inodes.nodeid(of: inode)
        entry.generation = 0
        entry.attr = st
        entry.attr_timeout = acting.observesAttributes ? 0 : cache.attrTimeout
        entry.entry_timeout = acting.observesNames ? 0 : cache.entryTimeout
        return entry
    }

    // MARK: - Names and lookup

    /// A name from the kernel is a single path component; anything else
    /// (a slash, `.` or `..`) could walk out of the backing directory, so it
    /// is refused before it reaches a system call.
    @inline(__always)
    func checkName(_ name: UnsafePointer<CChar>) -> Errno? {
        let first = name[0]
        if first == 0 { return .noSuchFileOrDirectory }
        if first == 0x2E /* . */ {
            if name[1] == 0 || (name[1] == 0x2E && name[2] == 0) { return .invalidArgument }
        }
        if strchr(name, 0x2F /* / */) != nil { return .invalidArgument }
        return nil
    }

    func statOf(_ inode: Inode) -> Result<stat, Errno> {
        var st = stat()
        return Syscall.run { fstatat(inode.fd, "", &st, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }.map { _ in st }
    }

    /// Finds `name` in `parent` and counts one kernel reference to it.
    func lookup(parent: Inode, name: UnsafePointer<CChar>) -> Result<(Inode, stat), Errno> {
        if let bad = checkName(name) { return .failure(bad) }
        // O_NOFOLLOW with O_PATH opens a symlink itself: the daemon never
        // follows a link, so no link can lead it outside the backing tree.
        let opened = Syscall.run { openat(parent.fd, name, cfuse_O_PATH | O_NOFOLLOW | O_CLOEXEC) }
        guard case .success(let fd) = opened else { return .failure(opened.errno!) }
        var st = stat()
        if case .failure(let e) = Syscall.run({ fstatat(fd, "", &st, cfuse_AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) }) {
            Syscall.close(fd)
            return .failure(e)
        }
        let (inode, adopted) = inodes.reference(fd: fd, st: st)
        if !adopted { Syscall.close(fd) }
        return .success((inode, st))
    }

    // MARK: - Acting as the caller

    /// The caller's supplementary groups (read from /proc by libfuse), or
    /// nil if libfuse could not read them (a caller in another pid
    /// namespace, /proc unreadable).
    func callerGroups(_ req: fuse_req_t) -> [gid_t]? {
        var groups = [gid_t](repeating: 0, count: 64)
        var count = fuse_req_getgroups(req, Int32(groups.count), &groups)
        if count > groups.count {
            groups = [gid_t](repeating: 0, count: Int(count))
            count = fuse_req_getgroups(req, Int32(groups.count), &groups)
        }
        guard count >= 0 else { return nil }
        return Array(groups.prefix(min(Int(count), groups.count)))
    }

    /// Runs `body` with this thread's filesystem credentials set to the
    /// caller's, so files it creates belong to the caller and the backing
    /// filesystem checks the caller's permissions (including supplementary
    /// groups and set-group-ID directories) exactly as it would natively.
    ///
    /// - Returns: `body`'s result, or EPERM without running it if a switch
    ///   did not take effect: acting as root for a caller who is not would
    ///   create root-owned files and skip the caller's permission checks.
    func asCaller<T>(_ req: fuse_req_t, _ body: () -> Result<T, Errno>) -> Result<T, Errno> {
        let ctx = fuse_req_ctx(req)!.pointee
        if ctx.uid == ownUID && ctx.gid == ownGID { return body() }
        let groups = callerGroups(req) ?? []
        let groupCount = groups.count
        defer {
            // The user id first: going back to root restores the
            // capabilities needed to restore the groups. Going back to the
            // daemon's own ids cannot fail; if it did, this thread would act
            // with less privilege, never more.
            _ = cfuse_setfsuid(ownUID)
            _ = cfuse_setfsgid(ownGID)
            _ = ownGroups.withUnsafeBufferPointer { cfuse_setgroups_thread(ownGroups.count, $0.baseAddress) }
        }
        let grouped = groups.withUnsafeBufferPointer { buffer in
            Syscall.run { cfuse_setgroups_thread(groupCount, buffer.baseAddress) }
        }
        guard case .success = grouped, Credentials.switchFSGID(to: ctx.gid), Credentials.switchFSUID(to: ctx.uid) else {
            return .failure(.notPermitted)
        }
        return body()
    }

    // MARK: - Open handles

    /// Makes the handle for a newly opened backing descriptor and chooses how
    /// the kernel serves it: passthrough for a file no rule can reach, else
    /// direct I/O or the page cache (`configureOpen`). When it is
    /// passthrough, the open reply this thread sends next is patched to say
    /// so. The handle's mode is counted on the inode before the reply.
    ///
    /// A file being created does not ask for passthrough: registering a
    /// backing file and the kernel's second open of it cost about 10 µs per
    /// handle, more than the one or two round trips a new small file saves
    /// (2,000 files created, written and removed on tmpfs: 8,100/s with
    /// passthrough, 8,600/s without; a 256 MiB write loses 20%, still 1.7x
    /// bindfs). Later opens of it get passthrough.
    func makeHandle(fd: Int32, inode: Inode, flags: Int32, acting: OperationSet, creating: Bool = false,
                    _ fi: UnsafeMutablePointer<fuse_file_info>) -> OpenFile {
        let wantsPassthrough = passthrough.isAvailable && acting.isEmpty && !tracksDurability && !creating
        let (mode, backingID): (OpenFile.Mode, Int32) = inode.openModes.withLock { modes in
            // Once an open of this inode is in passthrough, the kernel
            // refuses any other kind; the same holds the other way round for
            // opens in the page cache. So an existing mode decides.
            if modes.passthrough > 0 {
                modes.passthrough += 1
                if !wantsPassthrough { passthrough.forced.add(1, ordering: .relaxed) }
                return (.passthrough, modes.backingID)
            }
            if wantsPassthrough && modes.cached == 0, let id = passthrough.register(fd) {
                modes.passthrough = 1
                modes.backingID = id
                return (.passthrough, id)
            }
            configureOpen(fi, acting: acting)
            if fi.pointee.direct_io != 0 {
                if fi.pointee.noflush != 0 { modes.unflushed += 1 }
                return (.direct, 0)
            }
            modes.cached += 1
            return (.cached, 0)
        }
        if mode == .passthrough {
            fi.pointee.direct_io = 0
            fi.pointee.keep_cache = 0
            if cache.noFlush { fi.pointee.noflush = 1 }
            passthrough.granted.add(1, ordering: .relaxed)
            passthrough.active.add(1, ordering: .relaxed)
            passthrough.prepareOpenReply(backingID: backingID)
        }
        return OpenFile(fd: fd, inode: inode, flags: flags, mode: mode,
                        unflushed: mode == .direct && fi.pointee.noflush != 0, passthrough: passthrough)
    }

    /// Chooses the kernel caching for a handle that is not in passthrough.
    ///
    /// A handle through which a rule could see a read, write or flush that
    /// the page cache would answer or change is opened with direct I/O and
    /// no flush shortcut: every such call reaches the engine with the
    /// caller's exact offset and count, no page holds bytes a torn or lost
    /// write did not store, and close reports flush errors.
    ///
    /// A read-only handle of a file whose rules act on writes or flushes but
    /// not reads is cached: it cannot write, and no rule acts on its reads.
    /// The writes it may meet are all direct I/O (every writable handle of
    /// such a file is), and the kernel drops the pages a direct-I/O write
    /// passed by once the write is done (fuse_direct_io, as
    /// generic_file_direct_write does; CacheNarrowing checks it against
    /// concurrent readers), so it reads what the backing file holds, a torn
    /// or lost write's bytes included. A flush rule keeps its flush. A file
    /// whose rules act on nothing the page cache answers (fsync, metadata)
    /// is cached as an untargeted one.
    ///
    /// (The daemon once dropped those pages itself, from a thread of its
    /// own per write: eight times slower appends beside an open reader,
    /// and a deadlock if that thread could not be made.)
    func configureOpen(_ fi: UnsafeMutablePointer<fuse_file_info>, acting: OperationSet) {
        let access = fi.pointee.flags & O_ACCMODE
        let readsOnly = access == O_RDONLY && !acting.contains(.read)
        if acting.observesData && !readsOnly {
            fi.pointee.direct_io = 1
            return
        }
        if access == O_WRONLY && cache.directIOForWriteOnly {
            // A writer that never reads gains nothing from the page cache,
            // and skipping it roughly halves the copies per write.
            fi.pointee.direct_io = 1
        } else if cache.keepCache {
            fi.pointee.keep_cache = 1
        }
        if cache.noFlush && !acting.contains(.flush) { fi.pointee.noflush = 1 }
    }
}

/// How much the kernel may cache for files no fault rule targets.
struct CachePolicy: Sendable {
    var entryTimeout: Double
    var attrTimeout: Double
    var keepCache: Bool
    var directIOForWriteOnly: Bool
    var noFlush: Bool
}

/// setfsuid and setfsgid report the previous id, never an error: the only
/// way to know a switch happened is to ask again, which returns the id now
/// in force (and, being the same id, changes nothing).
enum Credentials {
    static func switchFSUID(to uid: uid_t) -> Bool {
        _ = cfuse_setfsuid(uid)
        return uid_t(truncatingIfNeeded: cfuse_setfsuid(uid)) == uid
    }

    static func switchFSGID(to gid: gid_t) -> Bool {
        _ = cfuse_setfsgid(gid)
        return gid_t(truncatingIfNeeded: cfuse_setfsgid(gid)) == gid
    }
}

/// One entry of the thread-to-process table, which is direct-mapped: thread
/// id `tid` lives in slot `tid % count`, and a miss overwrites that slot.
///
/// Thread ids are reused once the kernel's pid counter wraps. Pids are
/// handed out in increasing order, so an entry is overwritten as soon as a
/// newer thread that maps to its slot makes a call, normally long before
/// its tid comes round again; a dictionary cleared at 4,096 entries bounded
/// a stale entry's life the same way (4,096 newer callers). The table never
/// grows, never hashes, and never forgets every caller at once, which made
/// the next calls of every live thread each read /proc again.
struct ThreadGroupSlot: Sendable {
    static let count = 4096
    /// 0 with tgid 0: the kernel's own requests (pid 0), answered as before.
    var tid: Int32 = 0
    var tgid: Int32 = 0
}
