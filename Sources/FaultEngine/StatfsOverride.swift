/// The capacity statfs should report while a disk-full rule with a `capacity` is armed.
public struct StatfsOverride: Sendable, Hashable {
    /// Total bytes of the pretend disk.
    public var totalBytes: Int64
    /// Bytes still free: capacity less what matching writes have used, never negative.
    public var freeBytes: Int64
}
