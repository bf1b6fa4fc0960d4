// faultbench-executor off|on: the built-in executors (docs/TASKS.md).
//
// Reads one task (TaskSpec JSON) on standard input, does it in the working
// directory (the trial's directory on the mount), and prints its claim as the
// last line of standard output. Exit 0 whenever a claim was printed; 2 for a
// wrong command line or a task that cannot be decoded (no claim: the harness
// counts that as a crash, which is what a broken task deserves).
//
// Startup matters (the harness spawns this binary for every trial), so
// nothing is done before the task is read, and no FUSE code is linked.
#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 1, let arm = Arm(rawValue: arguments[0]) else {
    Output.error("usage: faultbench-executor off|on  (the task JSON on standard input; see docs/TASKS.md)")
    exit(2)
}
// A harness that stops reading must not kill us before the claim is written;
// the failed write is then simply lost.
signal(SIGPIPE, SIG_IGN)

let task: TaskSpec
switch Output.readStandardInput() {
case .failure(let e):
    Output.error("faultbench-executor: could not read the task from standard input: \(e).")
    exit(2)
case .success(let bytes):
    do {
        task = try JSONDecoder().decode(TaskSpec.self, from: Data(bytes))
    } catch {
        Output.error("faultbench-executor: the task on standard input is not a valid task (docs/TASKS.md): \(error)")
        exit(2)
    }
}

let claim: Claim
switch (arm, task.work) {
case (.off, .writeFile(let t)): claim = WriteFileTask.off(t)
case (.on, .writeFile(let t)): claim = WriteFileTask.on(t, PatternSelection(task.patterns, for: .writeFile))
case (.off, .readConfig(let t)): claim = ReadConfigTask.off(t)
case (.on, .readConfig(let t)): claim = ReadConfigTask.on(t, PatternSelection(task.patterns, for: .readConfig))
case (.off, .batch(let t)): claim = BatchTask.off(t)
case (.on, .batch(let t)): claim = await BatchTask.on(t, PatternSelection(task.patterns, for: .batch))
case (.off, .runTools(let t)): claim = RunToolsTask.off(t)
case (.on, .runTools(let t)): claim = await RunToolsTask.on(t, PatternSelection(task.patterns, for: .runTools))
case (.off, .planningLoop(let t)): claim = PlanningLoopTask.off(t)
case (.on, .planningLoop(let t)): claim = await PlanningLoopTask.on(t, PatternSelection(task.patterns, for: .planningLoop))
}
Output.claim(claim)
exit(0)
