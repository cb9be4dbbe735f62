// MARK: - Numbers as people read them, the same in the charts and on the terminal

/// An integer with its digits grouped by threes, whatever the locale: 1234567 → "1,234,567".
public func groupedDigits(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
        grouped.append(digit)
    }
    return value < 0 ? "-" + grouped : grouped
}
