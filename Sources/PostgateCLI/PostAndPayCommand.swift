import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct PostAndPayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post-and-pay",
        abstract: "Post one draft and record its full payment in the same transaction (the way to post for Cash Sales Only customers).")
    @OptionGroup var connection: ConnectionOptions
    @Argument var invoice: Int64
    @Option(help: "Amount paid, in the invoice's currency (default: its total; Cash Sales Only customers must pay it all).") var amount: Decimal?
    @Option(help: "Payment method (default: the customer's).") var paymentMethod: String?
    @Option(name: .customLong("account"), help: "Financial account (default: the customer's).") var financialAccount: String?
    @Option var reference: String?

    func run() async throws {
        let result = try await withPool(connection) {
            try await PostingService(pool: $0, actor: postingActor()).postAndPay(
                invoice, amount: amount, paymentMethod: paymentMethod,
                financialAccount: financialAccount, reference: reference)
        }
        let paid = amount.map { "a payment of \($0.money)" } ?? "its payment in full"
        print("Posted draft \(invoice) as invoice \(result.numbers[invoice].map(String.init) ?? "?") and recorded \(paid) in its currency.")
    }
}
