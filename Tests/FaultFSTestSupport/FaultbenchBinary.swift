#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the built `faultbench` executable is.
public enum FaultbenchBinary {
    /// The binary the end-to-end tests run, in this order:
    /// 1. `FAULTBENCH_BIN`, when set;
    /// 2. `faultbench` next to the running test bundle (the same build);
    /// 3. the package's `.build/debug/faultbench`.
    ///
    /// - Throws: when none of them is an executable file; the tests then
    ///   fail, they are never skipped.
    public static func path() throws -> String {
        if let override = getenv("FAULTBENCH_BIN").map({ String(cString: $0) }), !override.isEmpty {
            guard isExecutable(override) else {
                throw SupportError("FAULTBENCH_BIN is '\(override)', which is not an executable file.")
            }
            return override
        }
        var candidates: [String] = []
        let testBundle = canonicalPath("/proc/self/exe")
        if let slash = testBundle.lastIndex(of: "/") {
            candidates.append(String(testBundle[..<slash]) + "/faultbench")
        }
        candidates.append(packageRoot + "/.build/debug/faultbench")
        if let found = candidates.first(where: isExecutable) { return found }
        throw SupportError(
            "no faultbench binary: looked at \(candidates.joined(separator: " and ")); build it with `swift build` or set FAULTBENCH_BIN.")
    }

    /// The package root, two levels above this source file.
    static var packageRoot: String {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/FaultFSTestSupport/FaultbenchBinary.swift
        return parts.joined(separator: "/")
    }

    static func isExecutable(_ path: String) -> Bool {
        guard case .success(let st) = FS.stat(path), fileType(st.st_mode) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
