#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import SystemPackage
import Testing

/// A fresh directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: FilePath

    init() throws {
        let p = "/tmp/ep-test-" + UUID().uuidString.prefix(12)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false)
        path = FilePath(p)
    }

    deinit { try? FileManager.default.removeItem(atPath: path.string) }

    func file(_ name: String) -> FilePath { path.appending(name) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t? = nil) throws -> FilePath {
        try write(name, Array(text.utf8), mode: mode)
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], mode: mode_t? = nil) throws -> FilePath {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p.string))
        if let mode { chmod(p.string, mode) }
        return p
    }

    func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path.string)) ?? []).sorted()
    }
}

func contents(_ p: FilePath) -> [UInt8]? {
    FileManager.default.contents(atPath: p.string).map { Array($0) }
}

func text(_ p: FilePath) -> String? {
    contents(p).map { String(decoding: $0, as: UTF8.self) }
}

func mode(_ p: FilePath) -> mode_t? {
    var st = stat()
    return stat(p.string, &st) == 0 ? st.st_mode & 0o7777 : nil
}

func exists(_ p: FilePath) -> Bool {
    var st = stat()
    return lstat(p.string, &st) == 0
}
