#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import Synchronization

/// The threads that read requests from /dev/fuse and answer them, as a
/// leader and followers.
///
/// One worker at a time, the leader, reads the device and answers what it
/// read; the others wait for the leader token. The leader polls the device
/// briefly before it blocks: a FUSE round trip is 25-30 µs, and a request
/// that arrives while it polls skips a sleep and a wakeup, which is most of
/// the cost for small-file workloads. It keeps the token while it answers a
/// quick request, so the common path has no handoff at all; before anything
/// slow (an injected delay, an fsync, a crash) the filesystem gives the token
/// up (`LeaderToken.yield()`), and a follower reads on meanwhile.
/// (Letting every idle worker block in read() made the polling worker lose
/// most requests to a sleeping one and, under load, collapsed cold random
/// reads; handing the token over on every request cost a wakeup each.)
final class WorkerPool: Sendable {
    private let session: SessionHandle
    private let count: Int
    private let spinNanoseconds: UInt64
    private let running = Atomic<Int>(0)
    private let threads = Mutex<[pthread_t]>([])
    private let leader: LeaderToken
    private let requestFlags: RequestFlags

    init(session: SessionHandle, count: Int, spinNanoseconds: UInt64, leader: LeaderToken, requestFlags: RequestFlags) {
        self.session = session
        self.count = count
        self.spinNanoseconds = spinNanoseconds
        self.leader = leader
        self.requestFlags = requestFlags
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
            Syscall.sleep(nanoseconds: 2_000_000)
        }
        return true
    }

    /// Interrupts workers blocked in read() until every one has returned.
    /// The session must already be marked as exited.
    func interrupt() {
        let all = threads.withLock { $0 }
        while !allStopped {
            for thread in all { _ = Syscall.direct { pthread_kill(thread, SIGUSR2) } }
            Syscall.sleep(nanoseconds: 10_000_000)
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
            if !leader.isHeldByCaller {
                // Interrupted (shutdown's SIGUSR2): look at the exit flag again.
                guard leader.acquire() else { continue }
                // The session may have ended while this worker waited.
                if fuse_session_exited(se) != 0 { break }
            }
            if spinNanoseconds > 0 { spinUntilReady(fd) }
            let received = fuse_session_receive_buf(se, &buffer)
            if received == -EINTR || received == -EAGAIN { continue }
            if received <= 0 { break }
            // Splice reads are off (LowLevelOperations), so the request is in memory.
            requestFlags.note(killsPrivileges: cfuse_request_kills_suidgid(buffer.mem, Int(received)) != 0)
            fuse_session_process_buf(se, &buffer)
        }
        leader.yield()
        free(buffer.mem)
        // The kernel ends every reader of a connection at once, so this
        // session is over for everyone; the token is free for the others to
        // see that.
        fuse_session_exit(se)
        finishOne()
    }

    private func finishOne() {
        if running.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            // Wake the main thread, which waits for signals only.
            _ = Syscall.run { kill(getpid(), SIGUSR1) }
        }
    }

    private func spinUntilReady(_ fd: Int32) {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let deadline = monotonicNanoseconds() + spinNanoseconds
        repeat {
            // A ready device, or an error the next read will report.
            // Matched, not compared: Result's generic == looked up tuple
            // metadata in the Swift runtime on every turn of this loop.
            guard case .success(0) = Syscall.run({ poll(&descriptor, 1, 0) }) else { return }
        } while monotonicNanoseconds() < deadline
    }
}

/// The right to read /dev/fuse: a binary semaphore that knows its holder.
final class LeaderToken: @unchecked Sendable {
    // @unchecked: sem_t is made for use from many threads; the pointer is
    // fixed for the object's life; `holder` is atomic.
    private let semaphore: UnsafeMutablePointer<sem_t>
    private let holder = Atomic<UInt>(0)

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 1)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    var isHeldByCaller: Bool { holder.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Waits for the token; false if a signal interrupted the wait.
    func acquire() -> Bool {
        // Not retried: SIGUSR2 interrupts the wait to stop a worker.
        guard case .success = Syscall.interruptible({ sem_wait(semaphore) }) else { return false }
        holder.store(UInt(pthread_self()), ordering: .releasing)
        return true
    }

    /// Gives the token up if this thread holds it: called before anything
    /// that may take long, so another worker reads the next request.
    func yield() {
        let me = UInt(pthread_self())
        guard holder.compareExchange(expected: me, desired: 0, ordering: .acquiringAndReleasing).exchanged else { return }
        _ = Syscall.run { sem_post(semaphore) }
    }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// What a worker read in the raw request it is answering that libfuse does
/// not pass on to the handler; the handler runs on the same thread, inside
/// fuse_session_process_buf. Kept per thread (a pthread key), so no FUSE
/// thread reads another's.
final class RequestFlags: @unchecked Sendable {
    // @unchecked: the key is fixed for the object's life, and each thread
    // reads and writes only its own value under it.
    private var key = pthread_key_t()

    init() { pthread_key_create(&key, nil) }

    deinit { pthread_key_delete(key) }

    /// Records, for the calling thread's current request, whether it is a
    /// write whose caller lacks CAP_FSETID (FUSE_WRITE_KILL_SUIDGID).
    @inline(__always)
    func note(killsPrivileges: Bool) {
        pthread_setspecific(key, killsPrivileges ? UnsafeRawPointer(bitPattern: 1) : nil)
    }

    /// Whether the request this thread is answering asked to clear
    /// set-user-ID and set-group-ID.
    @inline(__always)
    var killsPrivileges: Bool { pthread_getspecific(key) != nil }
}
