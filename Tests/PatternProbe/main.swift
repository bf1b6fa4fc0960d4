// pattern-probe: a child process for the ExecutionPatterns mount tests, so a
// pattern can be killed mid-write by the fault engine. Filled in with the tests.
import ExecutionPatterns

print("pattern-probe: no command")
