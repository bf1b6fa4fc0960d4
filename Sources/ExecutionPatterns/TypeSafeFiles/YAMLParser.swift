import Yams

/// Reads YAML with Yams (libyaml), and turns its node tree into a `YAMLNode` with this library's typing.
///
/// libyaml does the reading (block and flow collections, every scalar style
/// and escape, anchors and aliases, comments, directives); `compose` gives
/// each node its line and column. On top of it, this reader:
/// - types values the way `YAMLNode` documents, not by YAML 1.1's resolver:
///   a plain scalar stays `.scalar` as written (`yes`, `on` and dates are
///   not booleans or timestamps), `~`, `null` and an empty value are
///   `.null`, and a quoted or block scalar is always `.string`;
/// - refuses what a configuration file cannot mean: an empty or null key, a
///   key that is a collection, a duplicate key, a second document, a tag it
///   does not know;
/// - bounds what aliases can expand to (`maximumNodes(for:)`), so an alias
///   bomb is an error, not a memory blow-up, and nesting to
///   `maximumDepth` levels (libyaml itself stops at 1000);
/// - reports libyaml's errors with their position, as "truncated" when the
///   error is at the end of the input (an unterminated quote or bracket).
enum YAMLParser {
    static let maximumDepth = 256
    /// The plain scalars that mean null.
    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// A document may hold, with every alias expanded, this many nodes at most.
    ///
    /// Each node takes at least two bytes of text when written out, so a
    /// document without aliases never comes near four per byte; aliases may
    /// still repeat parts of it, but not exponentially.
    static func maximumNodes(for byteCount: Int) -> Int { 10_000 + 4 * byteCount }

    /// No implicit typing by Yams: its default resolver is YAML 1.1's (`yes` is true, dates are timestamps).
    private static let resolver = Resolver.basic

    static func parse(_ bytes: [UInt8], start: Int = 0) -> Result<YAMLNode, ParseProblem> {
        let body = Array(bytes[min(start, bytes.count)...])
        let text = String(decoding: body, as: UTF8.self)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, resolver)
        } catch let error as YamlError {
            return .failure(problem(error, in: body, start: start))
        } catch {
            return .failure(ParseProblem("\(error)", offset: nil))
        }
        guard let root else { return .success(.null) }
        var converter = Converter(body: body, start: start, budget: maximumNodes(for: body.count))
        do {
            return .success(try converter.node(root, depth: 1))
        } catch let p as ParseProblem {
            return .failure(p)
        } catch {
            return .failure(ParseProblem("\(error)", offset: nil))
        }
    }

    /// libyaml's error as a positioned problem; "truncated" when it is at the end of the input.
    private static func problem(_ error: YamlError, in body: [UInt8], start: Int) -> ParseProblem {
        func positioned(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> ParseProblem {
            let offset = byteOffset(of: mark, in: body)
            var message = problem
            if problem == "but found another document" || problem == "did not find expected <document start>" {
                message = "a second YAML document is not supported (after '---' or '...'); split it into separate files"
            } else if problem.hasPrefix("Maximum nesting level") {
                message = "nesting deeper than libyaml's limit of 1000 levels"
            } else {
                if let context { message += " (\(context.text) that starts at line \(context.mark.line), column \(context.mark.column))" }
                // libyaml names the token it expected; the usual cause in a configuration file is this.
                if offset < body.count, body[offset] == 0x09 {
                    message += "; this is a tab, and YAML indents with spaces only"
                } else if problem.hasPrefix("did not find expected key") || problem.hasPrefix("did not find expected '-' indicator") {
                    message += "; check the indentation of this line"
                }
            }
            return ParseProblem(message, offset: start + offset, atEnd: isAtEnd(offset, in: body))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return positioned(context, problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let offset = byteOffset(of: context.mark, in: body)
            return ParseProblem("duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in the mapping; its first occurrence is here",
                                offset: start + offset)
        case .reader(let problem, let offset, _, _):
            return ParseProblem(problem, offset: offset.map { start + $0 }, atEnd: offset.map { $0 >= body.count } ?? false)
        default:
            return ParseProblem("\(error)", offset: nil)
        }
    }

    /// Whether nothing but blanks, line breaks and comments follows `offset`: an error there is a cut-off document.
    private static func isAtEnd(_ offset: Int, in body: [UInt8]) -> Bool {
        var i = offset
        while i < body.count {
            switch body[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "#"):
                while i < body.count, body[i] != 0x0A { i += 1 }
            default: return false
            }
        }
        return true
    }

    /// The byte offset of a 1-based line and column (columns count Unicode scalars, as libyaml does).
    static func byteOffset(of mark: Mark, in body: [UInt8]) -> Int {
        var i = 0
        var line = 1
        while line < mark.line, i < body.count {
            if body[i] == 0x0A { line += 1 }
            i += 1
        }
        var column = 1
        while column < mark.column, i < body.count, body[i] != 0x0A {
            i += 1
            while i < body.count, body[i] & 0xC0 == 0x80 { i += 1 }
            column += 1
        }
        return i
    }

    /// Yams's nodes to `YAMLNode`, counting every node it produces (aliases expanded) against the budget.
    private struct Converter {
        let body: [UInt8]
        let start: Int
        var budget: Int

        func fail(_ message: String, _ mark: Mark?) -> ParseProblem {
            ParseProblem(message, offset: mark.map { start + YAMLParser.byteOffset(of: $0, in: body) })
        }

        mutating func node(_ n: Node, depth: Int) throws -> YAMLNode {
            budget -= 1
            if budget < 0 {
                throw fail("the document expands to more than \(YAMLParser.maximumNodes(for: body.count)) nodes through its aliases (an alias bomb?)", n.mark)
            }
            if depth > YAMLParser.maximumDepth { throw fail("nesting deeper than \(YAMLParser.maximumDepth) levels", n.mark) }
            switch n {
            case .scalar(let s):
                return try scalar(s)
            case .sequence(let seq):
                try checkCollectionTag(seq.tag, .seq, seq.mark)
                var items: [YAMLNode] = []
                items.reserveCapacity(seq.count)
                for item in seq { items.append(try node(item, depth: depth + 1)) }
                return .sequence(items)
            case .mapping(let map):
                try checkCollectionTag(map.tag, .map, map.mark)
                var entries: [YAMLEntry] = []
                var keys = Set<String>()
                for (k, v) in map {
                    guard case .scalar(let ks) = k else {
                        throw fail("a mapping key must be a plain or quoted scalar, not a collection", k.mark)
                    }
                    let key: String
                    switch try scalar(ks) {
                    case .null: throw fail("a mapping key is empty or null; give the key a name", k.mark)
                    case .scalar(let t), .string(let t):
                        // Yams's duplicate-key check has resolved the tags of keys
                        // (to `!!str`), so a plain `~` key is told by its style.
                        if ks.style == .plain, YAMLParser.nullWords.contains(t) {
                            throw fail("a mapping key is empty or null; give the key a name", k.mark)
                        }
                        key = t
                    default: throw fail("a mapping key must be a scalar", k.mark)
                    }
                    if !keys.insert(key).inserted { throw fail("duplicate key '\(key)'", k.mark) }
                    budget -= 1
                    entries.append(YAMLEntry(key, try node(v, depth: depth + 1)))
                }
                return .mapping(entries)
            case .alias:
                // `compose` resolves aliases to the anchored node; an unresolved one is Yams's error.
                throw fail("an alias that does not name an anchor", n.mark)
            }
        }

        func checkCollectionTag(_ tag: Tag, _ expected: Tag.Name, _ mark: Mark?) throws {
            let name = Tag.Name(rawValue: tag.rawValue)
            guard name == expected || name == .implicit || name == .nonSpecific else {
                throw fail("the tag '\(tag.rawValue)' is not supported here; remove it", mark)
            }
        }

        func scalar(_ s: Node.Scalar) throws -> YAMLNode {
            let name = Tag.Name(rawValue: s.tag.rawValue)
            switch name {
            case .implicit:
                // An untagged plain scalar (libyaml tags quoted and block ones `!!str`):
                // the library's own typing applies (see `YAMLNode.jsonValue`).
                return YAMLParser.nullWords.contains(s.string) ? .null : .scalar(s.string)
            case .str, .nonSpecific:
                // Quoted and block scalars get `!!str` from libyaml; so does an explicit `!!str` or `!`.
                return .string(s.string)
            case .null:
                return .null
            case .bool, .int, .float:
                // An explicit type: the text is kept for the reader to type, as for a plain scalar.
                return .scalar(s.string)
            default:
                throw fail("the tag '\(s.tag.rawValue)' is not supported; use a plain or quoted value", s.mark)
            }
        }
    }
}
