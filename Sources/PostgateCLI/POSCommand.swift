import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct POSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pos", abstract: "Point of sale.", subcommands: [Sale.self])

    struct Sale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sell, post and take payment in one step.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Option var location: String
        @Option(name: .customLong("line"), help: "PRODUCT:QUANTITY[@PRICE][:SERIALS], repeated.") var lines: [InvoiceLineArgument] = []
        @Option var paymentMethod: String?
        @Option(name: .customLong("account")) var financialAccount: String?
        @Option var reference: String?

        func validate() throws {
            if lines.isEmpty { throw ValidationError("give at least one --line PRODUCT:QUANTITY") }
        }

        func run() async throws {
            let result = try await withPool(connection) {
                try await PostingService(pool: $0, actor: postingActor()).posSale(
                    customer: customer, location: location, lines: lines.map(\.line), paymentMethod: paymentMethod,
                    financialAccount: financialAccount, reference: reference)
            }
            print("Sold, posted as invoice \(result.numbers.values.first.map(String.init) ?? "?") and paid.")
        }
    }
}
