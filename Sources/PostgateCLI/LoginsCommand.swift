import ArgumentParser
import Foundation
import Postgate
import Postgres

extension AccessRole: ExpressibleByArgument {}

struct LoginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logins",
        abstract: "Give people and applications their own database logins.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a login that is a member of a Postgate group.",
            discussion: """
                service: runs the Postgate service (may post). client: other applications (drafts,
                stock, imports). reporting: psql users (read the report views, write nothing).
                With --password-stdin the first line of standard input is the password (stored as
                a SCRAM-SHA-256 verifier); without it the login has no password and can sign in
                only over the embedded server's private socket.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The login name: lowercase letters, digits and '_'.") var name: String
        @Option(help: "service, client or reporting.") var role: AccessRole
        @Flag(help: "Read the password from standard input.") var passwordStdin = false

        func validate() throws {
            do { try LoginStore.validate(name) } catch { throw ValidationError(error.description) }
        }

        func run() async throws {
            var password: String?
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("--password-stdin was given but standard input has no password line")
                }
                password = line
            }
            let database = try await connection.connect()
            try await LoginStore(connection: database).add(name, role: role, password: password)
            await database.close()
            print("Created login \(name) in group \(role.groupRole)\(password == nil ? " (no password: local socket only)" : " with a password").")
            if case .embedded(let cluster, let db) = connection.target {
                print("Connect:   psql \"host=\(cluster.socketDirectory) dbname=\(db) user=\(name)\"")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the logins of the Postgate groups.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let database = try await connection.connect()
            let logins = try await LoginStore(connection: database).list()
            await database.close()
            guard !logins.isEmpty else {
                print("No logins yet. Add one: \(CommandLineText.command("logins add", "NAME --role reporting"))")
                return
            }
            let width = max(5, logins.map(\.name.count).max() ?? 0)
            print("LOGIN".padding(toLength: width, withPad: " ", startingAt: 0) + "  ROLE        PASSWORD")
            for login in logins {
                let password = login.hasPassword.map { $0 ? "yes" : "no" } ?? "?"
                let roles = login.roles.map(\.rawValue).joined(separator: ",")
                print(
                    login.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + roles.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + "  " + password)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a login created with 'logins add'.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The login name.") var name: String

        func run() async throws {
            let database = try await connection.connect()
            try await LoginStore(connection: database).remove(name)
            await database.close()
            print("Removed login \(name).")
        }
    }
}
