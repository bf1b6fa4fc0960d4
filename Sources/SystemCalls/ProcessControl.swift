#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Process calls that Swift's Glibc module does not import: `prctl` is
/// variadic, and `posix_spawn_file_actions_addchdir_np` is declared only
/// under `_GNU_SOURCE`, which cannot be defined for one module alone. Both
/// are looked up once in the C library by name. prctl is called through a
/// fixed five-argument signature, which is how the x86-64 and AArch64
/// calling conventions pass its integer arguments anyway.
public enum ProcessControl {
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    public typealias SpawnAddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    // statfs(2): `statfs(...)` in Swift names the struct's initializer, and
    // <sys/vfs.h> is not in the Glibc module.
    typealias Statfs = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32

    nonisolated(unsafe) private static let prctl: Prctl = symbol("prctl")
    nonisolated(unsafe) private static let pipe2Call: Pipe2 = symbol("pipe2")
    nonisolated(unsafe) private static let statfsCall: Statfs = symbol("statfs")
    /// `posix_spawn_file_actions_addchdir_np`: the child starts in this directory.
    nonisolated(unsafe) public static let spawnAddChdir: SpawnAddChdir = symbol("posix_spawn_file_actions_addchdir_np")

    private static let setParentDeathSignal: Int32 = 1   // PR_SET_PDEATHSIG
    private static let setChildSubreaper: Int32 = 36     // PR_SET_CHILD_SUBREAPER

    /// Asks the kernel to send `signal` to this process when the thread that
    /// started it ends, so a child never outlives a harness that was killed.
    public static func exitWithParent(signal: Int32) -> Result<Void, Errno> {
        Syscall.run { prctl(setParentDeathSignal, UInt(signal), 0, 0, 0) }.map { _ in () }
    }

    /// Makes this process the reaper of its orphaned descendants, so that a
    /// grandchild that left its process group is re-parented here, where the
    /// harness can still find and end it, instead of to init.
    public static func becomeSubreaper() -> Result<Void, Errno> {
        Syscall.run { prctl(setChildSubreaper, 1, 0, 0, 0) }.map { _ in () }
    }

    /// A pipe whose two ends are close-on-exec from the start, so that an
    /// executor spawned by another thread at the same moment cannot inherit
    /// them (and hold another trial's output open).
    public static func pipe() -> Result<(read: Int32, write: Int32), Errno> {
        var ends: [Int32] = [-1, -1]
        return Syscall.run { pipe2Call(&ends, O_CLOEXEC) }.map { _ in (ends[0], ends[1]) }
    }

    /// The filesystem type (`f_type`, the superblock's magic number) of the
    /// filesystem that holds `path`.
    public static func filesystemMagic(_ path: String) -> Result<Int, Errno> {
        // struct statfs is 120 bytes on 64-bit Linux and starts with f_type.
        var buffer = [Int](repeating: 0, count: 32)
        return buffer.withUnsafeMutableBytes { raw in
            Syscall.run { statfsCall(path, raw.baseAddress!) }.map { _ in raw.load(as: Int.self) }
        }
    }

    private static func symbol<F>(_ name: String) -> F {
        // RTLD_DEFAULT is ((void *)0) in glibc.
        guard let address = dlsym(nil, name) else {
            fatalError("the C library has no '\(name)'; faultbench needs glibc 2.29 or newer.")
        }
        return unsafeBitCast(address, to: F.self)
    }
}
