#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where an executable product of this package was built, for a test that
/// runs it as a child process.
public enum BuiltExecutable {
    /// The binary named `name`, looked up like `FaultbenchBinary.path()`:
    /// the environment variable `override` when set, then next to the running
    /// test bundle (the same build), then the package's `.build/debug`.
    ///
    /// - Throws: when none is an executable file (the tests then fail, never skip).
    public static func path(_ name: String, override variable: String) throws -> String {
        if let override = getenv(variable).map({ String(cString: $0) }), !override.isEmpty {
            guard FaultbenchBinary.isExecutable(override) else {
                throw SupportError("\(variable) is '\(override)', which is not an executable file.")
            }
            return override
        }
        var candidates: [String] = []
        let testBundle = canonicalPath("/proc/self/exe")
        if let slash = testBundle.lastIndex(of: "/") {
            candidates.append(String(testBundle[..<slash]) + "/" + name)
        }
        candidates.append(FaultbenchBinary.packageRoot + "/.build/debug/" + name)
        if let found = candidates.first(where: FaultbenchBinary.isExecutable) { return found }
        throw SupportError(
            "no \(name) binary: looked at \(candidates.joined(separator: " and ")); build it with `swift build --build-tests` or set \(variable).")
    }
}
