#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Keeps a power loss from racing with writes.
///
/// A write (logging its undo record, then storing) holds the gate shared; a
/// power loss holds it exclusively while it undoes, so no write lands half
/// before and half after the crash. The crash's victims are remembered: a
/// write of theirs that was already on its way is refused, as it would have
/// died with them.
final class CrashGate: @unchecked Sendable {
    // @unchecked: the rwlock is made for concurrent use and its address is
    // fixed for the object's life; `victims` is behind a Mutex.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    private let victims = Mutex<Set<Int32>>([])

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs a write; nil if its process was killed by a crash.
    func write<T>(by pid: Int32, _ body: () -> T) -> T? {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        if victims.withLock({ $0.contains(pid) }) { return nil }
        return body()
    }

    /// Runs the undo of a crash with no write in progress.
    func crash(killing pids: [Int32], _ body: () -> Void) {
        victims.withLock { $0 = Set(pids) }
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        body()
    }
}
