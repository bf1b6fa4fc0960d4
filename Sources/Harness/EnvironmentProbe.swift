#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Results
import SystemCalls

/// Facts about the machine a run ran on: what must match before two
/// results may be compared.
enum EnvironmentProbe {
    /// faultbench's own version; the git commit says more when there is one.
    static let version = "0.2.0"

    static func probe(mountArguments: [String], backing: String) -> RunEnvironment {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
        // Mount options without the run's own paths, which differ every run.
        let options = mountArguments.enumerated().filter { $0.offset >= 2 }.map(\.element)
            .filter { !$0.hasPrefix("/") }
        return RunEnvironment(
            kernel: "Linux " + release, libfuse: run(["pkg-config", "--modversion", "fuse3"]) ?? "unknown",
            mountOptions: options, cpuModel: model, cpuCount: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            faultbenchVersion: version, gitCommit: run(["git", "rev-parse", "HEAD"]),
            backingFilesystem: filesystemType(backing))
    }

    /// The first line a command prints, or nil if it fails.
    static func run(_ command: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    static func filesystemType(_ path: String) -> String {
        guard case .success(let magic) = ProcessControl.filesystemMagic(path) else { return "unknown" }
        switch UInt(bitPattern: magic) {
        case 0x0102_1994: return "tmpfs"
        case 0xEF53: return "ext4"
        case 0x9123_683E: return "btrfs"
        case 0x5846_5342: return "xfs"
        case 0x794C_7630: return "overlayfs"
        default: return "0x" + String(UInt(bitPattern: magic), radix: 16)
        }
    }
}
