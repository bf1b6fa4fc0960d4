#if canImport(Glibc)
import Glibc
#endif
import CFuse
import Synchronization

/// The threads that read requests from /dev/fuse and answer them.
///
/// Each worker polls the device briefly before it blocks: a FUSE round trip
/// is 25-30 µs, and a request that arrives while we poll skips a sleep and a
/// wakeup, which is most of the cost for small-file workloads. Only one
/// worker polls at a time, so idle workers do not compete for the two cores
/// with the program under test; the others block in read(), where the kernel
/// wakes exactly one of them per request.
final class WorkerPool: Sendable {
    private let session: SessionHandle
    private let count: Int
    private let spinNanoseconds: UInt64
    private let spinner = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)
    private let threads = Mutex<[pthread_t]>([])

    init(session: SessionHandle, count: Int, spinNanoseconds: UInt64) {
        self.session = session
        self.count = count
        self.spinNanoseconds = spinNanoseconds
    }

    var allStopped: Bool { running.load(ordering: .acquiring) == 0 }

    func start() {
        running.store(count, ordering: .releasing)
        for _ in 0..<count {
            let box = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { argument in
                let pool = Unmanaged<WorkerPool>.fromOpaque(argument!).takeRetainedValue()
                pool.work()
                return nil
            }, box)
            if created == 0 {
                threads.withLock { $0.append(thread) }
            } else {
                Unmanaged<WorkerPool>.fromOpaque(box).release()
                finishOne()
            }
        }
    }

    /// Waits until every worker has returned, at most `nanoseconds`.
    func waitForStop(nanoseconds: UInt64) -> Bool {
        let deadline = monotonicNanoseconds() + nanoseconds
        while !allStopped {
            if monotonicNanoseconds() >= deadline { return false }
            usleep(2000)
        }
        return true
    }

    /// Interrupts workers blocked in read() until every one has returned.
    /// The session must already be marked as exited.
    func interrupt() {
        let all = threads.withLock { $0 }
        while !allStopped {
            for thread in all { pthread_kill(thread, SIGUSR2) }
            usleep(10_000)
        }
    }

    func join() {
        for thread in threads.withLock({ $0 }) { pthread_join(thread, nil) }
    }

    private func work() {
        let se = session.pointer
        let fd = fuse_session_fd(se)
        var buffer = fuse_buf()
        while fuse_session_exited(se) == 0 {
            if spinNanoseconds > 0 { spinUntilReady(fd) }
            let received = fuse_session_receive_buf(se, &buffer)
            if received == -EINTR || received == -EAGAIN { continue }
            if received <= 0 { break }
            fuse_session_process_buf(se, &buffer)
        }
        free(buffer.mem)
        // The kernel ends every reader of a connection at once, so this
        // session is over for everyone.
        fuse_session_exit(se)
        finishOne()
    }

    private func finishOne() {
        if running.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            // Wake the main thread, which waits for signals only.
            kill(getpid(), SIGUSR1)
        }
    }

    private func spinUntilReady(_ fd: Int32) {
        guard spinner.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { spinner.store(false, ordering: .releasing) }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = monotonicNanoseconds() + spinNanoseconds
        repeat {
            if poll(&descriptor, 1, 0) != 0 { return }
        } while monotonicNanoseconds() < deadline
    }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
