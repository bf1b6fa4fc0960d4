/// A filesystem operation as FaultFS sees it, one case per FUSE callback.
public enum FSOperation: String, CaseIterable, Sendable, Hashable {
    case lookup, getattr, setattr, readdir, opendir, releasedir, open, create, read, write, flush,
         release, fsync, fsyncdir, mkdir, rmdir, unlink, rename, link, symlink, readlink, truncate,
         chmod, chown, utimens, statfs, access, fallocate, mknod, getxattr, setxattr, listxattr,
         removexattr

    /// The declaration order of the case; a switch, so the hot path neither hashes nor searches.
    @inlinable var ordinal: Int {
        switch self {
        case .lookup: 0
        case .getattr: 1
        case .setattr: 2
        case .readdir: 3
        case .opendir: 4
        case .releasedir: 5
        case .open: 6
        case .create: 7
        case .read: 8
        case .write: 9
        case .flush: 10
        case .release: 11
        case .fsync: 12
        case .fsyncdir: 13
        case .mkdir: 14
        case .rmdir: 15
        case .unlink: 16
        case .rename: 17
        case .link: 18
        case .symlink: 19
        case .readlink: 20
        case .truncate: 21
        case .chmod: 22
        case .chown: 23
        case .utimens: 24
        case .statfs: 25
        case .access: 26
        case .fallocate: 27
        case .mknod: 28
        case .getxattr: 29
        case .setxattr: 30
        case .listxattr: 31
        case .removexattr: 32
        }
    }
}
