/// One step FaultFS performs on the backing directory to undo what a crash would have lost.
public enum UndoAction<File: Hashable & Sendable>: Sendable, Hashable {
    /// Write these old bytes back at `offset` of the file.
    case restore(file: File, offset: Int64, bytes: [UInt8])
    /// Write zeros over a range that was appended but did not survive (a hole, as after a crash).
    case zero(file: File, offset: Int64, length: Int64)
    /// Truncate or extend the file to `size`.
    case setSize(file: File, size: Int64)
    /// Delete a file whose creation was not durable.
    case remove(path: String)
    /// Delete a directory whose creation was not durable.
    case removeDirectory(path: String)
    /// Recreate a directory whose removal was not durable.
    case makeDirectory(path: String)
    /// Rename back, within the mount.
    case rename(from: String, to: String)
    /// Bring an unlinked or replaced file back to `to` from `stash`, the name
    /// FaultFS kept it under outside the mount (not a mount path).
    case unstash(stash: String, to: String)
}
