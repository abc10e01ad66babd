import ArgumentParser
import Foundation

/// Prints rows as aligned columns for people.
func printTable(_ headers: [String], _ rows: [[String]]) {
    var widths = headers.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    print(line(headers))
    for row in rows { print(line(row)) }
}

/// Prints a value as JSON for scripts: sorted keys, snake_case.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder.postgate
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension Optional where Wrapped: CustomStringConvertible {
    /// The value, or a dash for none.
    var orDash: String { map(\.description) ?? "-" }
}

/// A row of a code list added, or changed with the version read (a location, an adjustment
/// reason): its code, name and whether it is active.
struct CodeListRow: ParsableArguments {
    @Argument var code: String
    @Option var name: String
    @Option(help: "true or false.") var active = true
    @Option(name: .customLong("version")) var rowVersion: Int?

    /// Says what happened: added (version 1), or changed to its new version.
    func printSaved(_ what: String, version: Int) {
        print(version == 1 ? "Added \(what) \(code)." : "Changed \(what) \(code): now version \(version).")
    }
}
