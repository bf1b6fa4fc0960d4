/// `withFaultMount` for an async body (the patterns' batch, retry, tool and
/// verification APIs are async): mounts a fresh backing directory with
/// `--control`, `--trace` and, when `plan` is given, `--plan`; runs `body`;
/// always unmounts.
///
/// Unmounting is `MountedFS.finish()` (SIGTERM, exit 0 and the mount gone
/// checked), with `cleanUp()` behind it whatever happens, as in `withMount`.
///
/// - Returns: the body's value and the backing files after the unmount.
public func withAsyncFaultMount<T>(
    plan: String? = nil, arguments: [String] = [], setup: (String) throws -> Void = { _ in },
    _ body: (FaultMount) async throws -> T
) async throws -> FaultMountResult<T> {
    let directory = try TemporaryDirectory("fault")
    do {
        let backing = try directory.makeDirectory("backing")
        let mnt = try directory.makeDirectory("mnt")
        try setup(backing)
        let (options, planPath) = try faultMountOptions(in: directory, plan: plan)
        let fs = try MountedFS.mount(backing: backing, at: mnt, arguments: options + arguments, scratch: directory.path)
        let value: T
        do {
            value = try await body(FaultMount(fs: fs, directory: directory, control: FaultControlClient(socketPath: directory.path("ctl.sock")),
                                              tracePath: directory.path("trace.jsonl"), planPath: planPath))
        } catch {
            // The body's error is the test's failure; an unclean unmount
            // after it is reported with it rather than hidden.
            do { try fs.finish() } catch let unmountError {
                fs.cleanUp()
                throw SupportError("\(error)\nand then unmounting failed: \(unmountError)")
            }
            throw error
        }
        do { try fs.finish() } catch {
            fs.cleanUp()
            throw error
        }
        let trace = try? FS.readText(directory.path("trace.jsonl")).get()
        let files = try snapshotFiles(backing)
        let expected: Set<String> = ["backing", "mnt", "plan.yaml", "trace.jsonl"]
        let leftovers = try must(FS.listDirectory(directory.path), "list \(directory.path)").filter { !expected.contains($0) }
        try directory.remove()
        return FaultMountResult(value: value, traceFile: trace, backing: files, leftovers: leftovers)
    } catch {
        try? directory.remove()
        throw error
    }
}
