#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import Synchronization

/// Every node the kernel holds a lookup reference to, keyed by backing identity.
///
/// The kernel's nodeid for an inode is the address of its `Inode` object, so
/// turning a nodeid back into an inode costs no lock and no hash; only lookups
/// and forgets take the mutex.
final class InodeTable: Sendable {
    let root: Inode
    private let nodes: Mutex<[InodeKey: Inode]>

    init(root: Inode) {
        self.root = root
        self.nodes = Mutex([:])
    }

    /// The inode behind a nodeid the kernel sent.
    @inline(__always)
    func inode(_ nodeid: fuse_ino_t) -> Inode {
        if nodeid == FUSE_ROOT_ID { return root }
        // The kernel only sends nodeids we handed out and has not forgotten,
        // so the object is alive, retained by `nodes`.
        return Unmanaged<Inode>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(nodeid))!).takeUnretainedValue()
    }

    @inline(__always)
    func nodeid(of inode: Inode) -> fuse_ino_t {
        if inode === root { return fuse_ino_t(FUSE_ROOT_ID) }
        return fuse_ino_t(UInt(bitPattern: Unmanaged.passUnretained(inode).toOpaque()))
    }

    /// Counts one more kernel reference to the file `fd` (an O_PATH descriptor
    /// just opened) describes, adopting `fd` if the file is new.
    ///
    /// - Returns: the inode, and whether `fd` was adopted; if not, the caller
    ///   closes it (outside the lock).
    func reference(fd: Int32, st: stat) -> (Inode, adopted: Bool) {
        let key = InodeKey(st)
        if key == root.key {
            // The backing root reached again (through a bind mount or a
            // hard-linked directory is impossible, but `..` style lookups
            // from NFS export could); the root is never counted or forgotten.
            return (root, false)
        }
        return nodes.withLock { nodes in
            if let existing = nodes[key] {
                existing.lookupCount += 1
                return (existing, false)
            }
            let inode = Inode(fd: fd, key: key, fileType: st.st_mode & S_IFMT, lookupCount: 1)
            nodes[key] = inode
            return (inode, true)
        }
    }

    /// Takes back `count` kernel references; the descriptor of a node that
    /// reaches zero is closed.
    func forget(_ inode: Inode, count: UInt64) {
        if inode === root { return }
        let released: Inode? = nodes.withLock { nodes in
            precondition(inode.lookupCount >= count, "the kernel forgot more references than it was given")
            inode.lookupCount -= count
            if inode.lookupCount == 0 {
                nodes[inode.key] = nil
                return inode
            }
            return nil
        }
        if let released { Syscall.close(released.fd) }
    }

    /// Every inode the kernel holds now, for cache invalidation.
    func snapshot() -> [Inode] { nodes.withLock { Array($0.values) } }

    /// The inode with this backing identity, if the kernel holds it.
    func find(_ key: InodeKey) -> Inode? {
        key == root.key ? root : nodes.withLock { $0[key] }
    }
}
