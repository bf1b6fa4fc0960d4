#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine

/// Who made a call: rules, byte counts and kills are about processes.
extension FileSystem {
    /// The caller of a request. FUSE reports the calling *thread*; it is
    /// mapped to its process id (one /proc read per thread, then cached).
    @inline(__always)
    func caller(_ req: fuse_req_t) -> Caller {
        let ctx = fuse_req_ctx(req)!.pointee
        return Caller(pid: processID(ofThread: ctx.pid), uid: ctx.uid, gid: ctx.gid)
    }

    func processID(ofThread tid: Int32) -> Int32 {
        let slot = Int(UInt32(bitPattern: tid) % UInt32(ThreadGroupSlot.count))
        if let known = threadGroups.withLock({ $0[slot].tid == tid ? $0[slot].tgid : nil }) { return known }
        var tgid = tid
        if let status = readWholeFile("/proc/\(tid)/status"),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
           let value = Int32(line.dropFirst(5).drop(while: { $0 == " " || $0 == "\t" })) {
            tgid = value
        }
        threadGroups.withLock { $0[slot] = ThreadGroupSlot(tid: tid, tgid: tgid) }
        return tgid
    }
}
