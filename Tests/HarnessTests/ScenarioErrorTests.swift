import Harness
import Testing

/// One malformed scenario and the exact line the loader must give for it.
struct BadScenario: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    /// What follows the file name: `:LINE: field: message`.
    let message: String
    init(_ name: String, _ text: String, _ message: String) {
        self.name = name
        self.text = text
        self.message = message
    }
    var testDescription: String { name }
}

@Suite("Scenario loader: bad input")
struct ScenarioErrorTests {
    static let cases: [BadScenario] = [
        BadScenario("not YAML", #"""
        title: [unclosed
        """#,
                    #":2: the file is not valid YAML: did not find expected ',' or ']'."#),
        BadScenario("empty file", #"""
        """#,
                    #": the file is empty; a scenario needs title, description, patterns, task and expect."#),
        BadScenario("a list, not a mapping", #"""
        - a
        - b
        """#,
                    #":1: a list is not a scenario; write a mapping with id, title, description, patterns, setup, task, faults, expect, timeout, trials, rerun, thresholds."#),
        BadScenario("key given twice", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        title: again
        """#,
                    #":1: the file is not valid YAML: `title` is given twice in one mapping; keep one."#),
        BadScenario("unknown top-level key", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        colour: red
        """#,
                    #":17: colour: is not a field of a scenario; use id, title, description, patterns, setup, task, faults, expect, timeout, trials, rerun, thresholds."#),
        BadScenario("title missing", #"""
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":1: title: is missing; a scenario needs it."#),
        BadScenario("title empty", #"""
        title: ''
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":1: title: is empty; write some text."#),
        BadScenario("title a list", #"""
        title: [a]
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":1: title: a list is not text; write a single value."#),
        BadScenario("id with white space", #"""
        id: a b
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":1: id: a b contains white space; write an id like exec-004/disk-full-midway."#),
        BadScenario("patterns empty", #"""
        title: t
        description: d
        patterns: []
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":3: patterns: is empty; name at least one pattern such as EXEC-004."#),
        BadScenario("pattern unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004, EXEC-009]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":3: patterns[1]: EXEC-009 is not a pattern ID; use EXEC-001, EXEC-002, EXEC-003, EXEC-004, PATTERN-001, PATTERN-002, PATTERN-003."#),
        BadScenario("pattern twice", #"""
        title: t
        description: d
        patterns: [EXEC-004, EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":3: patterns[1]: EXEC-004 is listed twice; name each pattern once."#),
        BadScenario("setup key unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          folders: [x]
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":5: setup.folders: is not a field of a setup; use dirs, files, tools."#),
        BadScenario("setup path absolute", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: /etc/passwd
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":6: setup.files[0].path: /etc/passwd is absolute; write a path relative to the trial's directory, e.g. passwd."#),
        BadScenario("setup path with ..", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: a/../../x
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":6: setup.files[0].path: a/../../x contains `..`; write a path inside the trial's directory."#),
        BadScenario("setup path twice", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          dirs: [old.txt]
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":7: setup.files[0].path: old.txt is set up twice; give each path once."#),
        BadScenario("setup file with two kinds of bytes", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
              size: 3
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":8: setup.files[0].size: give exactly one of content, size or random for a setup file."#),
        BadScenario("setup file with no bytes", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":6: setup.files[0].content: give exactly one of content, size or random for a setup file."#),
        BadScenario("setup file field unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
              owner: root
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":8: setup.files[0].owner: is not a field of a setup file; use path, content, size, random, mode."#),
        BadScenario("setup mode not octal", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
              mode: 0999
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":8: setup.files[0].mode: 0999 is not a file mode; write octal bits from 0 to 7777 such as 0644 or 0755."#),
        BadScenario("setup random without seed", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              random: {size: 3}
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":7: setup.files[0].random.seed: is missing; a random-bytes entry needs it."#),
        BadScenario("tool name with a slash", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
          tools:
            - name: a/b
              script: '#!/bin/sh'
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":9: setup.tools[0].name: a/b is not a file name; write the command's name only, e.g. render."#),
        BadScenario("tool script without #!", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
          tools:
            - name: fmt
              script: echo hi
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":10: setup.tools[0].script: does not start with a `#!` line; begin the script with #!/bin/sh."#),
        BadScenario("task kind unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: compile
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":9: task.kind: 'compile' is not a task kind; use write-file, read-config, batch, run-tools or planning-loop."#),
        BadScenario("task kind missing", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":9: task.kind: is missing; name the task kind: write-file, read-config, batch, run-tools or planning-loop."#),
        BadScenario("task field unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          colour: red
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.colour: is not a field of a write-file task; use kind, path, content, chunk."#),
        BadScenario("task nested field unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
            gzip: true
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":13: task.content.gzip: is not a field of this part of the task; use text, base64, generate."#),
        BadScenario("task with patterns", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          patterns: [EXEC-004]
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.patterns: is filled in from the scenario's `patterns`; remove it from the task."#),
        BadScenario("task field missing", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":9: task.path: is missing; this task needs it (docs/TASKS.md)."#),
        BadScenario("task path absolute", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: /etc/passwd
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":10: task.path: /etc/passwd is absolute; write a path relative to the trial's directory, e.g. passwd."#),
        BadScenario("task number quoted", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          chunk: '4096'
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.chunk: '4096' is quoted, so it is text; write the number without quotes."#),
        BadScenario("task number fractional", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          chunk: 2.5
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.chunk: 2.5 is not a whole number, or is too large; write a whole number such as 4096."#),
        BadScenario("task number huge", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          chunk: 99999999999999999999
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.chunk: 99999999999999999999 is too large; write a whole number below 2^63 (2^64 for a seed)."#),
        BadScenario("task number zero", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          chunk: 0
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.chunk: 0 is not a byte count from 1 to 1073741824; write one like 4096."#),
        BadScenario("task text where a mapping belongs", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content: hi
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":11: task.content: hi is not a mapping; write a mapping, {key: value}."#),
        BadScenario("task content with two sources", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
            base64: aGk=
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":12: task.content: give exactly one of text, base64 or generate: {size: N, seed: S}."#),
        BadScenario("task seed negative", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            generate: {size: 5, seed: -1}
        expect:
          files:
            - path: a.txt
              content: hi
        """#,
                    #":12: task.content.generate.seed: -1 is negative; write a whole number of 0 or more."#),
        BadScenario("faults key unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          when: before
        """#,
                    #":18: faults.when: is not a field of a faults section; use arm, rules."#),
        BadScenario("faults arm unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          arm: later
        """#,
                    #":18: faults.arm: later is not an arm time; write before, {after: 20ms} or {after-calls: 3}."#),
        BadScenario("rule names processes", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - {fault: power-loss, kill: {name: [sh]}}
        """#,
                    #":19: faults.rules[0].kill: names processes, which a scenario may not: its faults reach only the trial's own processes (the caller, for kill-caller and power-loss). Leave kill out."#),
        BadScenario("faults arm both", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          arm: {after: 5ms, after-calls: 2}
        """#,
                    #":18: faults.arm: has both of after and after-calls; give exactly one."#),
        BadScenario("faults arm negative", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          arm: {after: -5ms}
        """#,
                    #":18: faults.arm.after: -5ms is negative; write a duration above 0 such as 2s."#),
        BadScenario("rule fault unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: meteor
        """#,
                    #":19: faults.rules[0].fault: meteor is not a fault; use one of missing, errno, transient, short-write, short-read, torn-write, lost-write, delay, corrupt-read, kill-caller, power-loss, fsync-fail, disk-full."#),
        BadScenario("rule field unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: missing
              path: a.txt
              colour: red
        """#,
                    #":21: faults.rules[0].colour: is not a field of a missing rule; use after, callers, every, fault, for, max, name, nth, offset, ops, path, probability, skip."#),
        BadScenario("rule value out of range", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: lost-write
            - fault: errno
              errno: EIO
              probability: 1.5
        """#,
                    #":22: faults.rules[1].probability: 1.5 is outside 0...1; use a number from 0 to 1."#),
        BadScenario("rule field missing", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: kill-caller
              path: a.txt
        """#,
                    #":19: faults.rules[0].bytes: is missing; give the byte count at which the caller is killed."#),
        BadScenario("rule nested field wrong", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: corrupt-read
              offset:
                from: 10
                to: -1
        """#,
                    #":22: faults.rules[0].offset.to: -1 is negative; use a whole number of 0 or more."#),
        BadScenario("rule path absolute", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: missing
              path: /etc/passwd
        """#,
                    #":20: faults.rules[0].path: /etc/passwd is absolute; write a path relative to the trial's directory, e.g. passwd."#),
        BadScenario("rule path escaping the trial", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: missing
              path: '../t000001/**'
        """#,
                    #":20: faults.rules[0].path: ../t000001/** contains `..`; write a path inside the trial's directory."#),
        BadScenario("rule names twice", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - {fault: missing, name: a}
            - {fault: missing, name: a}
        """#,
                    #":20: faults.rules[1].name: a names an earlier rule too; give each rule its own name."#),
        BadScenario("rule duration huge", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        faults:
          rules:
            - fault: missing
              after: 1e300s
        """#,
                    #":20: faults.rules[0].after: 1e300s is longer than a day; use a duration of at most 86400s."#),
        BadScenario("expect empty", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect: {}
        """#,
                    #":13: expect.files: is missing; say what a correct run leaves, with files (and absent)."#),
        BadScenario("expect key unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          present: [a]
          files:
            - path: a.txt
              content: hi
        """#,
                    #":14: expect.present: is not a field of an expectation; use files, absent, consistent."#),
        BadScenario("expect two exact checks", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
              sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
        """#,
                    #":17: expect.files[0].sha256: give at most one of content, size, random, sha256 or unchanged; each fixes every byte."#),
        BadScenario("expect sha256 malformed", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              sha256: abc
        """#,
                    #":16: expect.files[0].sha256: abc is not a SHA-256; write 64 hex digits (sha256sum prints them)."#),
        BadScenario("expect format unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              format: xml
        """#,
                    #":16: expect.files[0].format: xml is not a format; use json, yaml or csv."#),
        BadScenario("expect unchanged of a file not set up", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              unchanged: true
        """#,
                    #":16: expect.files[0].unchanged: a.txt is not a setup file, so it has no content to keep; add it under setup.files or give content."#),
        BadScenario("expect unchanged false", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: old.txt
              unchanged: false
        """#,
                    #":16: expect.files[0].unchanged: false says nothing; remove it, or give the expected content."#),
        BadScenario("expect file twice", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
            - path: a.txt
              min-size: 1
        """#,
                    #":17: expect.files[1].path: a.txt is listed twice; put all checks of a file in one entry."#),
        BadScenario("expect absent glob malformed", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
          absent: ['[a-']
        """#,
                    #":17: expect.absent[0]: the glob "[a-" has a `[` that is never closed by `]`."#),
        BadScenario("consistent state without a name", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
          consistent:
            - absent: [a.txt]
        """#,
                    #":18: expect.consistent[0].name: is missing; a consistent state needs it."#),
        BadScenario("consistent names twice", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
          consistent:
            - {name: n, absent: [a]}
            - {name: n, absent: [b]}
        """#,
                    #":19: expect.consistent[1].name: n names an earlier state too; give each state its own name."#),
        BadScenario("consistent state empty", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
          consistent:
            - name: n
        """#,
                    #":18: expect.consistent[0].files: is missing; say what this state leaves, with files (and absent)."#),
        BadScenario("timeout zero", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        timeout: 0
        """#,
                    #":17: timeout: 0 is zero; write a duration above 0 such as 2s."#),
        BadScenario("timeout negative", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        timeout: -2s
        """#,
                    #":17: timeout: -2s is negative; write a duration above 0 such as 2s."#),
        BadScenario("timeout not a duration", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        timeout: soon
        """#,
                    #":17: timeout: soon is not a duration; write one like 500ms, 2s or 1m."#),
        BadScenario("timeout longer than a day", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        timeout: 2000m
        """#,
                    #":17: timeout: 2000m is longer than a day; write a duration such as 2s or 5m."#),
        BadScenario("trials fractional", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        trials: 2.5
        """#,
                    #":17: trials: 2.5 is not a whole number from 1 to 1000000; write one like 1."#),
        BadScenario("trials beyond UInt64", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        trials: 18446744073709551616
        """#,
                    #":17: trials: 18446744073709551616 is not a whole number from 1 to 1000000; write one like 1."#),
        BadScenario("rerun key unknown", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        rerun:
          tries: 3
        """#,
                    #":18: rerun.tries: is not a field of a rerun policy; use max, recovery-cost."#),
        BadScenario("rerun max negative", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        rerun:
          max: -1
        """#,
                    #":18: rerun.max: -1 is not a whole number from 0 to 1000; write one like 1."#),
        BadScenario("thresholds out of range", #"""
        title: t
        description: d
        patterns: [EXEC-004]
        setup:
          files:
            - path: old.txt
              content: x
        task:
          kind: write-file
          path: a.txt
          content:
            text: hi
        expect:
          files:
            - path: a.txt
              content: hi
        thresholds:
          prevention-drop: 1.5
        """#,
                    #":18: thresholds.prevention-drop: 1.5 is not a number from 0 to 1."#),
    ]

    @Test("one exact line naming file, line and field", arguments: cases)
    func badInput(_ bad: BadScenario) {
        do {
            let scenario = try ScenarioLoader.parse(yaml: bad.text, file: "scenarios/x/bad.yaml")
            Issue.record("loaded \(scenario.id) although it is malformed")
        } catch {
            #expect(error.description == "scenarios/x/bad.yaml" + bad.message)
            #expect(!error.description.contains("\n"))
        }
    }
}
