#!/usr/bin/env python3
"""Checks an example GitHub Actions workflow against the built faultbench.

usage: check-workflow.py WORKFLOW.yml FAULTBENCH_BINARY

Proves that the file is valid YAML with the shape GitHub Actions needs
(`on`, jobs with `runs-on` and `steps`, each step a `run` or a `uses`,
`needs` naming jobs that exist), and that every faultbench command its
steps run exists: each subcommand is asked of the binary itself
(`faultbench [SUB...] --help`, exit 0 and the subcommand listed by its
parent), and each `--option` must appear in that subcommand's help. So the
check follows the binary: a command that lands later passes once it is built.

Prints one JSON line of what it checked on stdout; exits 1 with one line
per problem on stderr.
"""
import json
import os
import re
import shlex
import subprocess
import sys

import yaml


def help_text(binary, path, cache={}):
    key = tuple(path)
    if key not in cache:
        p = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=60)
        cache[key] = (p.returncode, p.stdout + p.stderr)
    return cache[key]


def subcommands(text):
    """The names a help text lists under SUBCOMMANDS."""
    names, inside = set(), False
    for line in text.splitlines():
        if line.startswith("SUBCOMMANDS:"):
            inside = True
            continue
        if inside:
            if not line.strip() or not line.startswith("  "):
                if names:
                    break
                continue
            match = re.match(r"^  ([a-z][a-z0-9-]*)\b", line)
            if match:
                names.add(match.group(1))
    return names


def option_known(option, text):
    name = option.split("=", 1)[0]
    forms = [name]
    if name.startswith("--no-"):
        forms.append("--[no-]" + name[5:])
    else:
        forms.append("--[no-]" + name[2:])
    return any(re.search(re.escape(f) + r"(?![A-Za-z0-9-])", text) for f in forms)


def commands_in(script):
    """Every faultbench invocation in a step's shell script, as argument lists."""
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    script = script.replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError as error:
                raise ValueError(f"cannot split the shell line {part.strip()!r}: {error}")
            for i, word in enumerate(words):
                if os.path.basename(word) == "faultbench":
                    args = []
                    for arg in words[i + 1:]:
                        if re.match(r"^\d*[<>]", arg):
                            break  # a redirection ends the arguments
                        args.append(arg)
                    found.append(args)
                    break
    return found


def main():
    if len(sys.argv) != 3:
        print("usage: check-workflow.py WORKFLOW.yml FAULTBENCH_BINARY", file=sys.stderr)
        return 1
    path, binary = sys.argv[1], sys.argv[2]
    problems = []
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except OSError as error:
        print(f"{path}: cannot read it: {error.strerror}", file=sys.stderr)
        return 1
    except yaml.YAMLError as error:
        print(f"{path}: not valid YAML: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    if not isinstance(doc, dict):
        print(f"{path}: a workflow is a YAML mapping", file=sys.stderr)
        return 1
    # YAML 1.1 (PyYAML) reads the key `on` as true.
    if "on" not in doc and True not in doc:
        problems.append(f"{path}: no `on:` trigger")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        problems.append(f"{path}: no jobs")
        jobs = {}
    invocations = []
    for job_name, job in jobs.items():
        where = f"{path}: jobs.{job_name}"
        if not isinstance(job, dict):
            problems.append(f"{where}: a job is a mapping")
            continue
        if "runs-on" not in job:
            problems.append(f"{where}: no runs-on")
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in jobs:
                problems.append(f"{where}: needs {need!r}, which is not a job of this workflow")
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{where}: no steps")
            continue
        for n, step in enumerate(steps):
            at = f"{where}.steps[{n}]"
            if not isinstance(step, dict) or ("run" in step) == ("uses" in step):
                problems.append(f"{at}: a step has exactly one of run and uses")
                continue
            if "run" not in step:
                continue
            try:
                for args in commands_in(str(step["run"])):
                    invocations.append((at, args))
            except ValueError as error:
                problems.append(f"{at}: {error}")

    if not os.access(binary, os.X_OK):
        problems.append(f"{binary}: not an executable faultbench; build it first (swift build)")
        invocations = []
    checked = []
    for at, args in invocations:
        command, rest = [], list(args)
        code, text = help_text(binary, [])
        known = subcommands(text)
        if not rest or rest[0].startswith("-"):
            problems.append(f"{at}: `faultbench {' '.join(args)}` names no subcommand")
            continue
        while rest and rest[0] in known:
            command.append(rest.pop(0))
            code, text = help_text(binary, command)
            if code != 0 or f"USAGE: faultbench {' '.join(command)}" not in text:
                problems.append(f"{at}: `faultbench {' '.join(command)} --help` fails (exit {code}); the command does not exist in this faultbench")
                break
            known = subcommands(text)
        else:
            if not command:
                problems.append(f"{at}: faultbench has no subcommand {rest[0]!r} (faultbench --help lists {', '.join(sorted(known))})")
                continue
            for arg in rest:
                if arg.startswith("--") and not option_known(arg, text):
                    problems.append(f"{at}: `faultbench {' '.join(command)}` has no option {arg.split('=', 1)[0]} (see faultbench {' '.join(command)} --help)")
            checked.append({"command": command, "options": sorted({a.split('=', 1)[0] for a in rest if a.startswith('--')})})
    for problem in problems:
        print(problem, file=sys.stderr)
    print(json.dumps({"workflow": path, "jobs": sorted(jobs), "checked": checked}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
