import ArgumentParser
import Foundation
import Logging

/// What the command line tells the person at the terminal, on standard error so that standard
/// output stays clean for scripts (`postgate db url`): each message as a line of its own, and
/// with --verbose the SQL each command runs, with its duration.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var format: LogFormat = .text

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let more = event.metadata { fields.merge(more) { $1 } }
        switch format {
        case .text:
            let prefix = event.level <= .debug ? "  sql " : ""
            FileHandle.standardError.write(Data((prefix + event.message.description + Self.text(of: fields) + "\n").utf8))
        case .json:
            FileHandle.standardError.write(Self.json(event, fields) + Data("\n".utf8))
        }
    }

    /// One JSON object per line, for log collectors: time, level, message, then the metadata.
    static func json(_ event: LogEvent, _ fields: Logger.Metadata) -> Data {
        var object: [String: String] = fields.mapValues(\.description)
        object["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        object["level"] = event.level.rawValue
        object["message"] = event.message.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(object)) ?? Data("{}".utf8)
    }

    /// The metadata as ` key=value` pairs by key (the service's request log), a value with spaces,
    /// quotes or an equals sign in quotes.
    static func text(of fields: Logger.Metadata) -> String {
        fields.sorted { $0.key < $1.key }.map { key, value in
            let text = value.description
            let plain = !text.isEmpty && !text.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
            return " \(key)="
                + (plain
                    ? text
                    : "\""
                        + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                        .replacingOccurrences(of: "\n", with: "\\n") + "\"")
        }.joined()
    }
}

/// How log lines are written: `text` for people (`message key=value …`), `json` for collectors.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

/// The command line's logger: info and above unless --verbose asks for the SQL too.
func consoleLogger(verbose: Bool = false, format: LogFormat = .text) -> Logger {
    var logger = Logger(label: "postgate") { _ in ConsoleLogHandler(format: format) }
    logger.logLevel = verbose ? .debug : .info
    return logger
}

/// A line for the person at the terminal.
let console = consoleLogger()
