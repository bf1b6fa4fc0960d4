#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemCalls

/// Runs a closure on a new detached thread: for rare work that must not
/// happen on the thread that asked for it.
enum BackgroundThread {
    /// Runs `body` on a new thread, or on this one if none can be made.
    static func run(_ body: @escaping @Sendable () -> Void) {
        if !start(body) { body() }
    }

    /// Runs `body` on a new thread.
    /// - Returns: false, without running it, if no thread could be made.
    static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, box)
        guard created == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

/// Where a FUSE worker hands work it must never do itself: dropping the
/// kernel's pages (a crash, an fsync-fail) waits for page locks that
/// readers hold while their READs wait for a worker to read them, and if
/// every worker waited so, none would. Each job gets a thread of its own.
/// If none can be made (no memory, a thread limit), the job goes to a
/// thread made when the mount started, which runs such jobs in order;
/// running it on the worker instead hung the mount (the review of 68a9bbd,
/// with the daemon's address space capped).
final class OffWorker: @unchecked Sendable {
    // @unchecked: `jobs` is a Mutex, and `ready` a semaphore made for use
    // from many threads, fixed for the object's life.
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready: UnsafeMutablePointer<sem_t>
    /// Jobs handed over and not yet done.
    private let inFlight = Atomic<Int>(0)

    /// Starts the reserve thread; nil if it cannot be made.
    init?() {
        ready = .allocate(capacity: 1)
        sem_init(ready, 0, 0)
        // The reserve thread keeps this object for the process's life.
        let started = BackgroundThread.start { [self] in reserveLoop() }
        if !started {
            sem_destroy(ready)
            ready.deallocate()
            return nil
        }
    }

    func run(_ body: @escaping @Sendable () -> Void) {
        inFlight.add(1, ordering: .acquiringAndReleasing)
        let counted: @Sendable () -> Void = { [self] in
            body()
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
        }
        if BackgroundThread.start(counted) { return }
        jobs.withLock { $0.append(counted) }
        sem_post(ready)
    }

    /// Waits until every job handed over is done, at most `nanoseconds`.
    /// - Returns: whether they all are.
    func waitUntilIdle(nanoseconds: UInt64) -> Bool {
        let deadline = monotonicNanoseconds() + nanoseconds
        while inFlight.load(ordering: .acquiring) > 0 {
            if monotonicNanoseconds() >= deadline { return false }
            Syscall.sleep(nanoseconds: 1_000_000)
        }
        return true
    }

    private func reserveLoop() -> Never {
        while true {
            guard sem_wait(ready) == 0 else { continue }  // EINTR: wait again
            let job = jobs.withLock { $0.removeFirst() }
            job()
        }
    }
}
