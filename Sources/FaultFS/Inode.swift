#if canImport(Glibc)
import Glibc
#endif
import FaultEngine
import Synchronization

/// The identity of a file in the backing filesystem.
struct InodeKey: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// One file the kernel knows about, pinned by an O_PATH descriptor.
///
/// Holding an O_PATH descriptor, not a path, is what makes a file that was
/// renamed or unlinked while open keep working: every operation goes through
/// the descriptor, so no `.fuse_hidden*` copy is ever needed.
///
/// The kernel names the node by the address of this object (its nodeid), so
/// the object must stay alive until the kernel forgets it; `InodeTable` owns it.
final class Inode: @unchecked Sendable {
    // @unchecked: `fd`, `key` and `fileType` never change; `lookupCount`
    // is only read or written with the table's mutex held.
    let fd: Int32
    let key: InodeKey
    let fileType: mode_t
    var lookupCount: UInt64
    /// The mount-relative path last computed for this inode, with the rename
    /// generation it was computed in; only used while fault rules are armed.
    let cachedPath = Mutex<(generation: UInt64, path: String)?>(nil)
    /// The operations armed rules act on for this inode's path; kept by
    /// `TargetVerdicts`, and by nothing else.
    let verdict = Mutex<Verdict?>(nil)
    /// For a directory: the operations armed rules may act on for a path below it.
    let childVerdict = Mutex<Verdict?>(nil)
    /// How this file's open handles are served, which the kernel requires
    /// to agree (see `Passthrough`).
    let openModes = Mutex(OpenModes())
    /// The permission bits and group last seen, for
    /// `FileSystem.dropPrivilegeBits`: a direct-I/O write by an unprivileged
    /// caller must clear set-user-ID and set-group-ID as the kernel would,
    /// and knowing the file has no such bit saves an fstat per write. Every
    /// setattr, setxattr and removexattr forgets them, since chmod, chown,
    /// truncate and a POSIX ACL can all change them. A change made behind
    /// the mount, in the backing directory, is not seen until then.
    let knownMode = Atomic<UInt64>(0)

    init(fd: Int32, key: InodeKey, fileType: mode_t, lookupCount: UInt64) {
        self.fd = fd
        self.key = key
        self.fileType = fileType
        self.lookupCount = lookupCount
    }

    var isSymlink: Bool { fileType == S_IFLNK }

    /// The cached permission bits (`st_mode & 0o7777`) and group, if known,
    /// and the stamp to hand back to `remember(_:since:)`.
    func cachedMode() -> (mode: FileMode?, stamp: UInt64) {
        let value = knownMode.load(ordering: .acquiring)
        return (ModeStamp.isKnown(value) ? ModeStamp.fileMode(value) : nil, value)
    }

    /// Caches `mode`, read after `cachedMode()` returned `stamp`, unless the
    /// bits were forgotten since: then the read may predate the change.
    func remember(_ mode: FileMode, since stamp: UInt64) {
        _ = knownMode.compareExchange(expected: stamp, desired: ModeStamp.known(mode, after: stamp),
                                      ordering: .acquiringAndReleasing)
    }

    /// Forgets the cached permission bits; the next write that needs them
    /// reads them from the file, and a read begun before now is not cached.
    func forgetMode() {
        var value = knownMode.load(ordering: .relaxed)
        while true {
            let (exchanged, found) = knownMode.compareExchange(
                expected: value, desired: ModeStamp.forgotten(after: value), ordering: .acquiringAndReleasing)
            if exchanged { return }
            value = found
        }
    }

    /// `/proc/self/fd/N`: how calls that cannot take an O_PATH descriptor
    /// (open, chmod, truncate, xattrs) reach the same file.
    var procPath: String { "/proc/self/fd/\(fd)" }
}

/// The open handles of one inode by how the kernel serves their data.
///
/// The kernel refuses (EIO) an open in the page cache while another open of
/// the inode is in passthrough, and the reverse, and it requires every
/// passthrough open of an inode to name the same backing file. Direct I/O
/// opens may mix with either. Counts are raised before the open reply and
/// lowered after the kernel's release, so they are never below the
/// kernel's own.
struct OpenModes: Sendable {
    var cached = 0
    var passthrough = 0
    /// Direct-I/O handles opened with `noflush` (write-only opens of files
    /// no rule targets): the kernel sends no flush for them.
    var unflushed = 0
    /// The backing file registered for this inode while `passthrough > 0`.
    var backingID: Int32 = 0

    /// Uncounts a released handle; returns the backing file to unregister
    /// when it was the last one in passthrough.
    mutating func release(_ mode: OpenFile.Mode, unflushed wasUnflushed: Bool) -> Int32? {
        switch mode {
        case .direct:
            if wasUnflushed { unflushed -= 1 }
            return nil
        case .cached:
            cached -= 1
            return nil
        case .passthrough:
            passthrough -= 1
            guard passthrough == 0 else { return nil }
            defer { backingID = 0 }
            return backingID
        }
    }
}

/// The permission bits and group of a file: what decides which privilege
/// bits a write clears.
struct FileMode: Equatable, Sendable {
    var bits: UInt32
    var group: gid_t
}

/// `Inode.knownMode` packed in one word, so that forgetting the bits and
/// caching a read of them cannot cross: bits 0-11 the mode, bit 12 set when
/// known, bits 13-44 the group, and from bit 45 a count of forgets (it wraps
/// after 2^19, far more than can fall between one read and its caching).
enum ModeStamp {
    private static let knownBit: UInt64 = 1 << 12
    private static let groupShift: UInt64 = 13
    private static let countShift: UInt64 = 45

    static func isKnown(_ value: UInt64) -> Bool { value & knownBit != 0 }
    static func fileMode(_ value: UInt64) -> FileMode {
        FileMode(bits: UInt32(value & 0o7777), group: gid_t(truncatingIfNeeded: value >> groupShift))
    }
    static func known(_ mode: FileMode, after value: UInt64) -> UInt64 {
        (value >> countShift) << countShift | UInt64(mode.group) << groupShift | knownBit | UInt64(mode.bits & 0o7777)
    }
    static func forgotten(after value: UInt64) -> UInt64 { ((value >> countShift) &+ 1) << countShift }
}
