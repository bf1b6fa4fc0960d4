import Testing

/// Every test that mounts lives in a suite nested in this one, so that no
/// two mounts run at once: they share two cores, /proc/self/mounts and the
/// kernel's FUSE connections, and a timing-sensitive check (a mount gone
/// within a second of SIGKILL) must not queue behind another test's I/O.
///
/// The tests run the built `faultbench` binary (see `FaultbenchBinary`).
/// With `FAULTBENCH_TEST_SERVER=bindfs` the same tests run against bindfs,
/// which checks the harness itself; the command-line tests fail then.
@Suite("Mounted passthrough", .serialized)
struct MountTests {}
