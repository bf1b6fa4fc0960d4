import ExecutorContract
import Foundation

extension TaskSpec.Content {
    /// The bytes to write: exactly one of `text`, `base64` or `generate`.
    func bytes() throws(TaskError) -> [UInt8] {
        switch (text, base64, generate) {
        case (let text?, nil, nil):
            return Array(text.utf8)
        case (nil, let encoded?, nil):
            guard let data = Data(base64Encoded: encoded) else { throw TaskError("The task's content.base64 is not valid base64.") }
            return Array(data)
        case (nil, nil, let g?):
            guard g.size >= 0 else { throw TaskError("The task's content.generate.size is negative (\(g.size)).") }
            return SeededBytes.generate(count: g.size, seed: g.seed)
        default:
            throw TaskError("The task's content must have exactly one of text, base64 or generate.")
        }
    }
}

extension Duration {
    /// A task's seconds as a duration: negative gives zero, and anything
    /// beyond a century is a century (a Double past Int64's range would trap).
    static func taskSeconds(_ seconds: Double) -> Duration {
        .nanoseconds(Int64(min(max(0, seconds), 3.2e9) * 1e9))
    }
}
