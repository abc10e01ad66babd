import ArgumentParser
import Foundation
import Logging
import Postgate
import Postgres
import PostgresServer

/// Runs the command line: checks the raw arguments, parses them, runs the command, and prints a
/// failure as one message that says what to do (the usage text only when the arguments were wrong).
@main
enum PostgateMain {
    static func main() async {
        let arguments: [String]
        do {
            arguments = try CommandLineText.arguments()
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(64)
        }
        var command: any ParsableCommand
        do {
            command = try PostgateCommand.parseAsRoot(arguments)
        } catch {
            PostgateCommand.exit(withError: error)
        }
        do {
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch  where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // The parser's own: help, usage, version, exit codes.
            PostgateCommand.exit(withError: error)
        } catch {
            // Refusals and failures say what happened and what to do; no usage text.
            let code = (error as? Failure)?.code ?? 1
            var shown: any Error = error.underlyingTransactionError
            if let database = shown as? PostgresError, database.kind == .server { shown = DomainError(database) }
            if let database = shown as? PostgresError, database.kind == .connectionFailed {
                shown = Failure(
                    database.message + ". Check that the server runs there and that this user may log in to that database"
                        + " (\(CommandLineText.command("db status")) shows the embedded server).")
            }
            var text = CommandLineText.namingTheCommand(String(describing: shown))
            if let refusal = shown as? DomainError, let next = NextSteps.after(refusal) { text += " " + next }
            if let failed = error as? PostgresTransactionError { text += " (Rolling the transaction back failed too: \(failed.rollbackError).)" }
            FileHandle.standardError.write(Data("Error: \(text)\n".utf8))
            exit(code)
        }
    }
}

struct PostgateCommand: AsyncParsableCommand {
    static let commands: [any ParsableCommand.Type] = [
        DatabaseCommand.self, MigrateCommand.self, CustomersCommand.self, ReferenceCommand.self, ProductsCommand.self,
        StockCommand.self, SerialsCommand.self, OrdersCommand.self, ShipmentsCommand.self, InvoicesCommand.self, PostCommand.self,
        PostAndPayCommand.self, CreditNotesCommand.self, PaymentsCommand.self,
        POSCommand.self, ItemsCommand.self, AdjustmentsCommand.self, LoginsCommand.self, TokensCommand.self, ServeCommand.self, DemoCommand.self,
        BenchCommand.self,
    ]

    /// Every command, one line each: its words and what it does.
    static var everyCommand: String {
        func leaves(_ command: any ParsableCommand.Type, _ path: String) -> [(String, String)] {
            let name = path.isEmpty ? command._commandName : path + " " + command._commandName
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else {
                let abstract = command.configuration.abstract
                let first = abstract.range(of: ": ").map { String(abstract[..<$0.lowerBound]) } ?? abstract
                return [(name, first.hasSuffix(".") ? String(first.dropLast()) : first)]
            }
            return subcommands.flatMap { leaves($0, name) }
        }
        let lines = commands.flatMap { leaves($0, "") }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        // One line each within 80 columns: the abstract up to its first aside, then cut at a word.
        let room = 78 - width
        func short(_ text: String) -> String {
            var text = text
            for mark in [" (", "; "] { if let range = text.range(of: mark) { text = String(text[..<range.lowerBound]) } }
            guard text.count > room else { return text }
            let cut = text.prefix(room - 1)
            return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + "…"
        }
        return lines.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + short($0.1) }.joined(separator: "\n")
    }

    static let configuration = CommandConfiguration(
        commandName: "postgate",
        abstract: "Postgate: the receivables core of a small-business ERP, on PostgreSQL.",
        discussion: """
            Every command that uses the database finds it the same way: --database URL, else DATABASE_URL, else the PG* \
            environment variables, else the embedded server under ./.postgate (or --data DIR), which is started when needed.

            Every command ('postgate COMMAND --help' shows its options):
            \(everyCommand)
            """,
        version: "0.1.0",
        subcommands: commands
    )
}

/// Where the database is: shared by every command that touches it.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: ArgumentHelp("A libpq conninfo string or postgresql:// URL.", valueName: "URL"))
    var database: String?

    @Option(name: .customLong("data"), help: ArgumentHelp("The embedded server's folder (default ./.postgate).", valueName: "DIR"))
    var dataFolder: String?

    @Flag(help: "Show each SQL statement the command runs, with its duration.") var verbose = false

    var target: DatabaseTarget { DatabaseTarget.resolve(database: database, dataFolder: dataFolder) }

    var logger: Logger { consoleLogger(verbose: verbose) }

    /// Opens a connection, starting the embedded server if that is the target.
    func connect() async throws -> PostgresConnection {
        let config = try await target.prepare(logger: logger)
        return try await PostgresConnection.connect(config, logger: logger)
    }

    /// A small pool for the domain stores, starting the embedded server if that is the target.
    func pool() async throws -> PostgresPool {
        PostgresPool(config: try await target.prepare(logger: logger), maxConnections: 2, logger: logger)
    }
}

/// Runs `body` with a pool on the chosen database, closing it afterwards.
@discardableResult
func withPool<T>(_ connection: ConnectionOptions, _ body: (PostgresPool) async throws -> T) async throws -> T {
    let pool = try await connection.pool()
    do {
        let value = try await body(pool)
        await pool.shutdown()
        return value
    } catch {
        await pool.shutdown()
        throw error
    }
}

/// A command that could not do what was asked, for a reason that is not the arguments' shape: it
/// prints its reason alone, with no usage text, and exits with `code`.
struct Failure: Error, CustomStringConvertible {
    var description: String
    var code: Int32 = 1

    init(_ description: String, code: Int32 = 1) {
        self.description = description
        self.code = code
    }
}

/// The command line as the user typed it.
enum CommandLineText {
    /// A negative number ("-25.50") is a value: it reaches the parser with a minus sign (U+2212)
    /// that no option name starts with, and the number parsers read it back.
    static let minus: Character = "\u{2212}"

    /// The arguments, refused when one is not valid UTF-8 (rather than read with replacement
    /// characters), with negative numbers made values.
    static func arguments() throws -> [String] {
        var result: [String] = []
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw Failure("argument \(index) is not valid UTF-8 text: retype it, or check the terminal's character set", code: 64)
            }
            result.append(isNegativeNumber(text) ? String(minus) + text.dropFirst() : text)
        }
        return result
    }

    static func isNegativeNumber(_ text: String) -> Bool {
        // No option name starts with a digit or a point.
        guard text.count > 1, text.first == "-", let next = text.dropFirst().first else { return false }
        return next.isASCII && (next.isNumber || next == ".")
    }

    /// The program as the user ran it (its path, as typed).
    static var program: String {
        let text = CommandLine.arguments.first ?? "postgate"
        return text.contains(" ") ? "'\(text)'" : text
    }

    /// The --data or --database the user gave, to repeat in the commands we suggest.
    static var databaseOptions: String {
        let raw = CommandLine.arguments
        var text = ""
        for (index, argument) in raw.enumerated() {
            if argument == "--data", index + 1 < raw.count { text += " --data \(raw[index + 1])" }
            if argument.hasPrefix("--data=") { text += " " + argument }
            if argument == "--database" || argument.hasPrefix("--database=") { text += " --database URL" }
        }
        return text
    }

    /// A message whose hints name `postgate` commands, with each command as this user runs it:
    /// the program's path, and their --data or --database after the command's words.
    static func namingTheCommand(_ message: String) -> String {
        let regex = try! NSRegularExpression(pattern: #"(?<![\w/.-])postgate((?: [a-z][a-z-]*)+)"#)
        var result = message
        for match in regex.matches(in: message, range: NSRange(message.startIndex..., in: message)).reversed() {
            guard let range = Range(match.range, in: message), let words = Range(match.range(at: 1), in: message) else { continue }
            result.replaceSubrange(range, with: program + message[words] + databaseOptions)
        }
        return result
    }

    /// `postgate <words>` as the user runs it; `rest` follows the database options.
    static func command(_ words: String, _ rest: String = "") -> String {
        program + " " + words + databaseOptions + (rest.isEmpty ? "" : " " + rest)
    }
}
