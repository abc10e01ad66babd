import ArgumentParser
import Foundation
import Postgate

extension TokenRole: ExpressibleByArgument {}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Tokens of the HTTP service: who may call it, and with which role.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token (shown once): poster may do everything, clerk all but posting, reader only read.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The token's name: the actor its postings record.") var name: String
        @Option(help: "poster, clerk or reader.") var role: TokenRole

        func run() async throws {
            let token = try await withPool(connection) { try await TokenStore(pool: $0).add(name, role: role) }
            console.info("Made token \(name) (\(role.rawValue)). It is shown this once; keep it secret:")
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their values).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let tokens = try await withPool(connection) { try await TokenStore(pool: $0).list() }
            guard !tokens.isEmpty else {
                print("No tokens yet. Make one: \(CommandLineText.command("tokens add", "NAME --role poster"))")
                return
            }
            printTable(["NAME", "ROLE"], tokens.map { [$0.name, $0.role.rawValue] })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a token: requests that carry it are refused from then on.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            try await withPool(connection) { try await TokenStore(pool: $0).remove(name) }
            print("Removed token \(name).")
        }
    }
}
