#if canImport(Glibc)
import Glibc
#endif

/// Lets trials share the mount, except those that need it alone (a power
/// loss reaches every file of the mount): a readers-writer lock, where an
/// ordinary trial is a reader and a crash trial the writer.
final class TrialGate: @unchecked Sendable {
    // @unchecked: the pthread lock is the synchronisation; it lives on the
    // heap at a fixed address for the object's lifetime.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        // Writer preference: a crash trial waiting must not be starved by a
        // stream of ordinary trials.
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func run<T>(alone: Bool, _ body: () -> T) -> T {
        if alone { pthread_rwlock_wrlock(lock) } else { pthread_rwlock_rdlock(lock) }
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}
