import Testing

/// Every test that mounts lives in a suite nested in this one, so that no
/// two mounts run at once: they share two cores, /proc/self/mounts and the
/// kernel's FUSE connections, and a timing-sensitive check (a mount gone
/// within a second of SIGKILL) must not queue behind another test's I/O.
///
/// The tests run the built `faultbench` binary (see `FaultbenchBinary`):
/// `FAULTBENCH_BIN` picks another one. They need root, /dev/fuse,
/// fusermount3, git, tar, diff, sqlite3, python3 and setpriv.
///
/// - `FAULTBENCH_TEST_SEED` / `FAULTBENCH_TEST_STEPS` replay or lengthen the
///   random-operation test (its seed is printed).
/// - `FAULTBENCH_TEST_SERVER=bindfs` runs the same tests against bindfs,
///   which checks the harness itself; tests of what bindfs lacks (renameat2
///   flags, fallocate, no `.fuse_hidden`, auto_unmount, the command line)
///   fail then, and that they do shows they can.
@Suite("Mounted passthrough", .serialized)
struct MountTests {}
