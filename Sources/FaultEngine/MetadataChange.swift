/// A directory change that is not durable until its parent directories are fsynced.
public enum MetadataChange: Sendable, Hashable {
    /// A file was created at `path`.
    case created(path: String)
    /// A directory was created at `path`.
    case madeDirectory(path: String)
    /// `from` was renamed to `to`; a replaced target was moved to `replacedStash` by FaultFS, if it kept it.
    case renamed(from: String, to: String, replacedStash: String?)
    /// `path` was unlinked; FaultFS moved it to `stash` so a crash can bring it back, if it kept it.
    case unlinked(path: String, stash: String?)
    /// The empty directory `path` was removed.
    case removedDirectory(path: String)

    /// The directories whose fsync makes the change durable.
    var parents: Set<String> {
        switch self {
        case .created(let p), .madeDirectory(let p), .unlinked(let p, _), .removedDirectory(let p):
            [MetadataChange.parent(of: p)]
        case .renamed(let from, let to, _):
            [MetadataChange.parent(of: from), MetadataChange.parent(of: to)]
        }
    }

    /// The undo steps, in the order to apply them.
    func undo<File>() -> [UndoAction<File>] {
        switch self {
        case .created(let p): [.remove(path: p)]
        case .madeDirectory(let p): [.removeDirectory(path: p)]
        case .renamed(let from, let to, let stash):
            [.rename(from: to, to: from)] + (stash.map { [.unstash(stash: $0, to: to)] } ?? [])
        case .unlinked(let p, let stash): stash.map { [.unstash(stash: $0, to: p)] } ?? []
        case .removedDirectory(let p): [.makeDirectory(path: p)]
        }
    }

    /// The stash this change holds, which FaultFS may delete once the change is durable.
    var stash: String? {
        switch self {
        case .renamed(_, _, let stash), .unlinked(_, let stash): stash
        default: nil
        }
    }

    /// The parent directory of a mount-relative path; the root is "".
    static func parent(of path: String) -> String {
        let trimmed = normalize(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return String(trimmed[..<slash])
    }

    /// The path without leading or trailing slashes.
    static func normalize(_ path: String) -> String {
        var text = Substring(path)
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
