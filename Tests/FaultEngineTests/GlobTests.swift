import Testing
@testable import FaultEngine

struct GlobTests {
    @Test("glob matching", arguments: [
        ("**", "a/b/c.json", true),
        ("**", "x", true),
        ("*.json", "a.json", true),
        ("*.json", "dir/a.json", false),
        ("data/*.json", "data/a.json", true),
        ("data/*.json", "data/sub/a.json", false),
        ("data/**/*.json", "data/a.json", true),
        ("data/**/*.json", "data/x/y/a.json", true),
        ("data/**/*.json", "data/x/y/a.txt", false),
        ("data/**/*.json", "other/a.json", false),
        ("data/**", "data/x/y", true),
        ("data/**", "datax/y", false),
        ("**/bin/tool", "bin/tool", true),
        ("**/bin/tool", "usr/local/bin/tool", true),
        ("file?.txt", "file1.txt", true),
        ("file?.txt", "file12.txt", false),
        ("file?", "file/", false),
        ("[abc].log", "b.log", true),
        ("[abc].log", "d.log", false),
        ("[!abc].log", "d.log", true),
        ("[a-c]x", "bx", true),
        ("[a-c]x", "dx", false),
        ("/a/b", "a/b", true),
        ("a/b", "/a/b", true),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("*", "a/b", false),
        ("a\\*", "a*", true),
        ("a\\*", "ab", false),
    ])
    func matches(pattern: String, path: String, expected: Bool) throws {
        #expect(try Glob(pattern).matches(path) == expected)
    }

    @Test("bad globs say what is wrong", arguments: [
        ("data/[abc", "the glob \"data/[abc\" has a `[` that is never closed by `]`."),
        ("a**b", "the glob \"a**b\" has `**` inside a segment; `**` must stand alone between slashes."),
        ("", "the glob \"\" is empty."),
        ("[z-a]", "the glob \"[z-a]\" has a range that runs backwards in `[...]`."),
    ])
    func rejects(pattern: String, message: String) {
        #expect(throws: GlobError.self) { try Glob(pattern) }
        do {
            _ = try Glob(pattern)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func matchesUTF8PathsWithoutCopying() throws {
        let glob = try Glob("données/*.json")
        #expect(glob.matches("données/é.json"))
        #expect(!glob.matches("donnees/e.json"))
    }
}
