#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn attributes for a child of the harness: a process group of its
/// own (so a timeout can end the child and everything it started, and
/// Ctrl-C at the terminal reaches only the harness), default signal
/// handlers and an empty signal mask, whatever the harness blocked for itself.
final class SpawnAttributes {
    var raw = posix_spawnattr_t()

    init() {
        posix_spawnattr_init(&raw)
        posix_spawnattr_setpgroup(&raw, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&raw, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&raw, &all)
        posix_spawnattr_setflags(&raw, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    deinit { posix_spawnattr_destroy(&raw) }
}
