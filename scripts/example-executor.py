#!/usr/bin/env python3
"""An external faultbench executor: write-file and read-config, plain code.

The contract (docs/TASKS.md): the task JSON on standard input, the trial's
directory as the working directory ($FAULTBENCH_ROOT), the claim as the last
line of standard output, exit 0 whenever a claim was printed.
Run it with: faultbench run --executor off='python3 scripts/example-executor.py'
"""
import json
import sys


def seeded_bytes(size, seed):
    """SplitMix64, little-endian words: the same bytes as the harness's SeededBytes."""
    out, state, mask = bytearray(), seed, (1 << 64) - 1
    while len(out) < size:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out += (z ^ (z >> 31)).to_bytes(8, "little")
    return bytes(out[:size])


def content(spec):
    if "text" in spec:
        return spec["text"].encode()
    if "base64" in spec:
        import base64
        return base64.b64decode(spec["base64"])
    return seeded_bytes(spec["generate"]["size"], spec["generate"]["seed"])


def run(task):
    if task["kind"] == "write-file":
        with open(task["path"], "wb") as f:   # open(O_TRUNC), write, close
            f.write(content(task["content"]))
        return [task["path"]]
    if task["kind"] == "read-config":
        with open(task["path"]) as f:
            config = json.load(f)
        selected = {}
        for key in task["select"]:
            value = config
            for part in key.split("."):
                value = value[part]           # a missing key raises KeyError
            selected[key] = value
        with open(task["output"], "w") as f:
            f.write(json.dumps(selected, sort_keys=True, separators=(",", ":")))
        return [task["output"]]
    raise ValueError(f"this example does not do {task['kind']} tasks")


task = json.load(sys.stdin)
try:
    claim = {"status": "success", "produced": run(task), "attempts": 1}
except Exception as error:  # every error becomes a failure claim
    claim = {"status": "failure", "produced": [], "attempts": 1, "error": f"{type(error).__name__}: {error}"}
print(json.dumps(claim))
