#if canImport(Glibc)
import Glibc
#endif
import CFuse
import Synchronization
import SystemCalls
import SystemPackage

/// FUSE passthrough for files no fault rule can reach.
///
/// Linux 6.9 and later can send an open file's reads and writes straight to
/// a backing file, so they cost what they cost natively: no request to the
/// daemon, no second copy, and the backing filesystem's own page cache
/// (ext4's large folios; a FUSE file's cache is read page by page). A file a
/// rule may target never gets it: its calls must reach the engine.
///
/// libfuse 3.14 predates passthrough, so it is negotiated here, through
/// libfuse's custom I/O hooks: `read` notes whether the kernel's INIT
/// request offers it, `writev` patches libfuse's INIT reply to accept it and
/// an open reply to name the backing file. A reply is sent from inside the
/// handler that answers the request, on the same thread, so a per-thread
/// slot says which reply to patch; the slot's key belongs to this mount.
///
/// The kernel keeps one I/O mode per inode: while any open of it is in
/// passthrough, every other open must be too, and while any open uses the
/// page cache, none may be. `Inode.openModes` counts both so an open never
/// asks for a mode the kernel would refuse with EIO.
final class Passthrough: Sendable {
    /// The user asked for it (not `--no-passthrough`).
    let wanted: Bool
    /// The kernel offered it in INIT and we accepted.
    private let negotiated = Atomic<Bool>(false)
    /// Registering a backing file failed in a way that will not change
    /// (no permission, not supported): stop trying.
    private let unavailable = Atomic<Bool>(false)
    private let offered = Atomic<Bool>(false)
    /// INIT has been answered: later requests need no look.
    private let initialized = Atomic<Bool>(false)
    private let device = Atomic<Int32>(-1)
    /// Per-thread: the reply the current handler is about to send that
    /// needs patching (see `Pending`).
    private let slot: pthread_key_t

    /// Opens served in passthrough, ever and now; and those forced into it
    /// although a rule targets the file (another open of the same inode was
    /// in passthrough already), which that rule then cannot reach.
    let granted = Atomic<Int>(0)
    let active = Atomic<Int>(0)
    let forced = Atomic<Int>(0)

    init(wanted: Bool) {
        self.wanted = wanted
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        self.slot = key
    }

    deinit { pthread_key_delete(slot) }

    var isAvailable: Bool {
        wanted && negotiated.load(ordering: .acquiring) && !unavailable.load(ordering: .relaxed)
    }

    /// For the control channel's `counters`.
    var counters: ControlReply.PassthroughCounters {
        ControlReply.PassthroughCounters(available: isAvailable, granted: granted.load(ordering: .relaxed),
                                         open: active.load(ordering: .relaxed), forced: forced.load(ordering: .relaxed))
    }

    // MARK: - Negotiation

    /// Called from the INIT handler, before libfuse sends its reply.
    func prepareInitReply() {
        initialized.store(true, ordering: .relaxed)
        guard wanted, offered.load(ordering: .acquiring) else { return }
        pthread_setspecific(slot, Pending.initReply.pointer)
    }

    /// Installs the I/O hooks on a mounted session; the kernel's INIT has
    /// not been read yet.
    func install(on session: OpaquePointer) -> Bool {
        let fd = fuse_session_fd(session)
        device.store(fd, ordering: .releasing)
        // These replace libfuse's own read, writev and splice on the device
        // and must behave exactly like them: no EINTR retry (an interrupted
        // read is how a worker is woken to stop), and errno left as the call
        // set it, for libfuse to read. The userdata is the session's, the
        // FileSystem.
        var io = fuse_custom_io()
        io.read = { fd, buffer, length, userdata in
            let n = Glibc.read(fd, buffer, length)
            if n > 0 { passthroughOf(userdata).noteRequest(buffer!, n) }
            return n
        }
        io.writev = { fd, iov, count, userdata in
            if let iov { passthroughOf(userdata).patchReply(iov, count) }
            return Glibc.writev(fd, iov, count)
        }
        // libfuse offers splice replies only when a custom I/O has this hook.
        io.splice_send = { fdIn, offIn, fdOut, offOut, length, flags, _ in
            cfuse_splice(fdIn, offIn, fdOut, offOut, length, flags)
        }
        return fuse_session_custom_io(session, &io, fd) == 0
    }

    /// Looks at requests until INIT is answered (INIT is the kernel's first).
    fileprivate func noteRequest(_ buffer: UnsafeRawPointer, _ length: Int) {
        if initialized.load(ordering: .relaxed) { return }
        if cfuse_init_offers_passthrough(buffer, length) == 1 {
            offered.store(true, ordering: .releasing)
        }
    }

    fileprivate func patchReply(_ iov: UnsafeMutablePointer<iovec>, _ count: Int32) {
        guard let raw = pthread_getspecific(slot) else { return }
        pthread_setspecific(slot, nil)
        switch Pending(raw) {
        case .initReply:
            if cfuse_patch_init_reply(iov, count) == 1 { negotiated.store(true, ordering: .releasing) }
        case .openReply(let backingID):
            _ = cfuse_patch_open_reply(iov, count, backingID)
        }
    }

    // MARK: - Backing files

    /// Registers `fd` with the kernel as a backing file; nil if it cannot
    /// be (then the open is served by the daemon as before).
    func register(_ fd: Int32) -> Int32? {
        guard isAvailable else { return nil }
        switch Syscall.run({ cfuse_backing_open(device.load(ordering: .acquiring), fd) }) {
        case .success(let id):
            return id
        case .failure(let e):
            // EPERM: not CAP_SYS_ADMIN; EOPNOTSUPP/ENOTTY: no kernel
            // support. ELOOP (a stacked backing filesystem) and EINVAL (a
            // file without read_iter) are about this file only.
            if e == .notPermitted || e == .notSupported || e == .inappropriateIOCTLForDevice {
                unavailable.store(true, ordering: .relaxed)
            }
            return nil
        }
    }

    func unregister(_ backingID: Int32) {
        _ = Syscall.run { cfuse_backing_close(device.load(ordering: .acquiring), backingID) }
    }

    /// The next reply this thread sends answers an open in passthrough.
    func prepareOpenReply(backingID: Int32) {
        pthread_setspecific(slot, Pending.openReply(backingID).pointer)
    }

    /// Forgets a prepared reply that was not sent.
    func cancelPendingReply() {
        pthread_setspecific(slot, nil)
    }
}

/// A reply waiting to be patched, encoded in the per-thread slot's pointer
/// (no allocation): bit 32 marks INIT, bit 33 an open with its backing id in
/// the low 32 bits.
private enum Pending {
    case initReply
    case openReply(Int32)

    init(_ raw: UnsafeMutableRawPointer) {
        let bits = UInt(bitPattern: raw)
        if bits & (1 << 33) != 0 {
            self = .openReply(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        } else {
            self = .initReply
        }
    }

    var pointer: UnsafeRawPointer {
        switch self {
        case .initReply: return UnsafeRawPointer(bitPattern: UInt(1) << 32)!
        case .openReply(let id): return UnsafeRawPointer(bitPattern: UInt(1) << 33 | UInt(UInt32(bitPattern: id)))!
        }
    }
}

// MARK: - libfuse's custom I/O hooks

private func passthroughOf(_ userdata: UnsafeMutableRawPointer?) -> Passthrough {
    Unmanaged<FileSystem>.fromOpaque(userdata!).takeUnretainedValue().passthrough
}
