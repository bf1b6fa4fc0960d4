#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Linux calls that Swift's Glibc module does not import (they are declared
/// only under `_GNU_SOURCE`, or live in headers the module leaves out), looked
/// up once in the C library by name.
///
/// The tests use these to make the very call a program would make, so that
/// what reaches the FUSE daemon is exactly one request of the kind under test.
enum LinuxCalls {
    typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    typealias Fallocate = @convention(c) (Int32, Int32, Int, Int) -> Int32
    typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    typealias ListXattr = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    typealias RemoveXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Int32
    // `statvfs(...)` in Swift names the struct's initializer, not the call.
    typealias Statvfs = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<statvfs>) -> Int32
    typealias SpawnAddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let renameat2: Renameat2 = symbol("renameat2")
    static let fallocate: Fallocate = symbol("fallocate")
    static let setxattr: SetXattr = symbol("setxattr")
    static let lsetxattr: SetXattr = symbol("lsetxattr")
    static let getxattr: GetXattr = symbol("getxattr")
    static let lgetxattr: GetXattr = symbol("lgetxattr")
    static let listxattr: ListXattr = symbol("listxattr")
    static let llistxattr: ListXattr = symbol("llistxattr")
    static let removexattr: RemoveXattr = symbol("removexattr")
    static let statvfs: Statvfs = symbol("statvfs")
    static let spawnAddChdir: SpawnAddChdir = symbol("posix_spawn_file_actions_addchdir_np")

    /// Linux values of flags the Glibc module does not export.
    static let renameNoReplace: UInt32 = 1
    static let renameExchange: UInt32 = 2
    static let fallocKeepSize: Int32 = 0x01
    static let fallocPunchHole: Int32 = 0x02
    static let xattrCreate: Int32 = 1
    static let xattrReplace: Int32 = 2
    static let atFDCWD: Int32 = -100
    static let atSymlinkNofollow: Int32 = 0x100

    private static func symbol<F>(_ name: String) -> F {
        // RTLD_DEFAULT is ((void *)0) in glibc.
        guard let address = dlsym(nil, name) else {
            // A C library without these calls cannot run the tests at all;
            // that is a broken machine, not a test result.
            fatalError("the C library has no '\(name)'; the FaultFS tests need glibc 2.29 or newer.")
        }
        return unsafeBitCast(address, to: F.self)
    }
}
