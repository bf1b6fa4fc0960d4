/// Escaping for every format. Scenario text, claims, fault traces and
/// standard error are untrusted input: an executor decides what its claim's
/// error says, so every byte of it reaches a report only through here.
enum Escape {
    /// Text for HTML and XML content and quoted attribute values.
    static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text for XML 1.0, which cannot carry most control characters even
    /// escaped: they become U+FFFD so a JUnit reader does not reject the file.
    static func xml(_ text: String) -> String {
        let allowed = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar -> Unicode.Scalar in
            let v = scalar.value
            let ok = v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
            return ok ? scalar : "\u{FFFD}"
        }))
        return html(allowed)
    }

    /// One Markdown table cell: no line breaks, no column separator, no
    /// inline HTML, no emphasis or links made of the text.
    static func markdownCell(_ text: String) -> String {
        var out = ""
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            // A link or image needs "](": breaking that pair is enough, and
            // leaves the brackets of every interval readable.
            case "(" where previous == "]": out += "\\("
            case "\n", "\r", "\t": out += " "
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "|", "*", "_", "`", "~", "#": out += "\\" + String(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A label inside a Mermaid chart's quoted string: Mermaid has no escape
    /// for a double quote there, so quotes, brackets and line breaks are dropped.
    static func mermaidLabel(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter {
            !["\"", "\n", "\r", "[", "]", "`", "<", ">", "&", ";"].contains($0)
        }))
    }

    /// JSON made safe to sit inside an HTML `<script>` element: `<`, `>` and
    /// `&` only ever occur inside JSON strings, where `\u003c` means the same
    /// and no `</script>` can end the element early. U+2028/9 are escaped
    /// for old JavaScript parsers.
    static func jsonForScript(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
