#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import Foundation
import SystemCalls
import SystemPackage

/// Standard input and output of the executor: the task in, the claim out.
enum Output {
    /// Reads standard input to its end.
    static func readStandardInput() -> Result<[UInt8], Errno> {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let got = buffer.withUnsafeMutableBytes { raw in Syscall.count { read(0, raw.baseAddress, raw.count) } }
            switch got {
            case .success(0): return .success(bytes)
            case .success(let n): bytes.append(contentsOf: buffer[0..<n])
            case .failure(let e): return .failure(e)
            }
        }
    }

    /// Prints the claim as one JSON line, with one write loop on descriptor 1
    /// (no stdio buffer that could be lost or interleaved at exit).
    static func claim(_ claim: Claim) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and an int cannot fail.
        let line = (try? encoder.encode(claim)).map { Array($0) } ?? Array(#"{"status":"failure","error":"the claim could not be encoded"}"#.utf8)
        writeAll(1, line + [0x0A])
    }

    /// A line on standard error.
    static func error(_ message: String) {
        writeAll(2, Array((message + "\n").utf8))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in Syscall.count { write(fd, raw.baseAddress! + offset, raw.count - offset) } }
            guard case .success(let written) = n, written > 0 else { return }
            offset += written
        }
    }
}

extension Claim {
    /// A failure claim with the error's message.
    static func failure(_ error: any Error, produced: [String] = [], attempts: Int = 1) -> Claim {
        Claim(status: .failure, produced: produced, attempts: attempts, error: "\(error)")
    }
}

/// An error that is only a message (a task that cannot be done as asked).
struct TaskError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
