// MARK: - A numeric series from a CSV file: a header row, comma-separated fields, quoted fields
//
// The reader is deliberately small: RFC 4180 fields (a field in double quotes may hold commas,
// line breaks and doubled quotes ""), LF or CRLF line ends, a header row naming the columns.
// Every error names the file, the line and the column, in one line.

import Foundation

/// What to do with a cell that is empty or not a number.
public enum MissingValues: String, Codable, CaseIterable, Sendable {
    /// Stop with an error naming the line and the column.
    case none
    /// Use the previous row's value (an error for the first row, which has none).
    case previous
}

/// A CSV file's header and rows, as text.
public struct CSVTable: Sendable {
    /// The column names, from the first row (spaces around each trimmed).
    public let columns: [String]
    /// The data rows, each with the line of the file it starts on.
    public let rows: [(line: Int, fields: [String])]

    /// Parses CSV text.
    ///
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - name: the file's name, for errors.
    /// - Throws: ``CharRNNError`` for a file with no header, an unterminated quote, or a column
    ///   name repeated.
    public init(text: String, name: String) throws {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = [], field = "", quoted = false, fieldWasQuoted = false
        var line = 1, recordLine = 1, quoteLine = 1
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            fields.append(field)
            // A blank line (one empty, unquoted field) is skipped.
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) { records.append((recordLine, fields)) }
            fields = []
            field = ""
            fieldWasQuoted = false
        }
        while let c = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = scalars.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.trimmingCharacters(in: .whitespaces).isEmpty:
                field = ""
                quoted = true
                fieldWasQuoted = true
                quoteLine = line
            case ",":
                fields.append(field)
                field = ""
                fieldWasQuoted = false
            case "\r":
                let next = scalars.next()
                if next != "\n" { pending = next }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw CharRNNError("\(name) line \(quoteLine): a quoted field is never closed (a \" is missing)") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        guard let header = records.first else { throw CharRNNError("\(name) is empty; a CSV file needs a header row") }
        columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen: Set<String> = []
        for column in columns where !seen.insert(column).inserted {
            throw CharRNNError("\(name) line \(header.line): the column \(String(reflecting: column)) is named twice")
        }
        rows = Array(records.dropFirst())
    }

    /// Reads and parses a CSV file.
    ///
    /// - Throws: ``CharRNNError`` when the file cannot be read or is not UTF-8, or as ``init(text:name:)``.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CharRNNError("cannot read \(path): no such file, or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CharRNNError("\(path) is not UTF-8 text") }
        try self.init(text: text, name: path)
    }

    /// The numbers of one column, in row order.
    ///
    /// - Parameters:
    ///   - column: the column's name in the header.
    ///   - fill: what to do with empty or non-numeric cells.
    ///   - name: the file's name, for errors.
    /// - Throws: ``CharRNNError`` naming the columns when `column` is not one, and naming the
    ///   line and column of the first empty or non-numeric cell (with `fill` `.none`, or in the
    ///   first row).
    public func numbers(column: String, fill: MissingValues, name: String) throws -> [Double] {
        guard let index = columns.firstIndex(of: column) else {
            throw CharRNNError("\(name) has no column \(String(reflecting: column)); its columns are "
                + columns.map { String(reflecting: $0) }.joined(separator: ", "), option: "column")
        }
        var values: [Double] = []
        values.reserveCapacity(rows.count)
        for row in rows {
            let cell = index < row.fields.count ? row.fields[index].trimmingCharacters(in: .whitespaces) : ""
            if let value = Double(cell), value.isFinite {
                values.append(value)
                continue
            }
            let problem = cell.isEmpty ? "the cell is empty" : "\(String(reflecting: cell)) is not a number"
            let place = "\(name) line \(row.line), column \(String(reflecting: column))"
            guard fill == .previous else {
                throw CharRNNError("\(place): \(problem); fix the file, or pass --fill previous to use the value above")
            }
            guard let previous = values.last else {
                throw CharRNNError("\(place): \(problem), and --fill previous has no earlier value to use")
            }
            values.append(previous)
        }
        return values
    }
}
