// MARK: - What the SVG charts share: escaping and a line writer

/// Text made safe for XML content and attribute values: the five special characters become
/// entities, and control characters that XML 1.0 forbids are dropped.
func xmlEscaped(_ text: String) -> String {
    var escaped = ""
    escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}

/// Collects the document one line at a time.
struct SVGWriter {
    private(set) var text = ""
    mutating func line(_ line: String) {
        text += line
        text += "\n"
    }
}
