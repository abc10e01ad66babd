import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct PaymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments", abstract: "Payments in, and refunds of a customer's credit.", subcommands: [Receive.self, Refund.self])

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pay credit back to a customer: what a credit note has left (--credit-note NUMBER), or the customer's credit.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Argument var amount: Decimal
        @Option(help: "The posted credit note whose credit is paid out (its currency).") var creditNote: Int64?
        @Option(help: "Refund date, YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option(help: "Currency (default: the credit note's, else the customer's).") var currency: String?
        @Option var paymentMethod: String?
        @Option(name: .customLong("account")) var financialAccount: String?
        @Option var reference: String?

        func run() async throws {
            let refund = NewRefund(
                customer: customer, amount: amount, creditNoteNumber: creditNote, date: date, currency: currency, paymentMethod: paymentMethod,
                financialAccount: financialAccount, reference: reference)
            let id = try await withPool(connection) { try await PaymentStore(pool: $0).refund(refund) }
            print("Recorded refund \(id): \(amount.money) paid back to \(customer)\(creditNote.map { " from credit note \($0)" } ?? "").")
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a payment in; optionally allocate it to invoices (--invoice NUMBER[=AMOUNT]).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Argument var amount: Decimal
        @Option(help: "Payment date, YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option(help: "Currency (default: the customer's).") var currency: String?
        @Option var paymentMethod: String?
        @Option(name: .customLong("account")) var financialAccount: String?
        @Option var reference: String?
        @Option(name: .customLong("invoice"), help: "Allocate to invoice NUMBER, or NUMBER=AMOUNT; repeated.") var allocations: [String] = []

        func run() async throws {
            let payment = NewPayment(
                customer: customer, amount: amount, date: date, currency: currency, paymentMethod: paymentMethod,
                financialAccount: financialAccount, reference: reference,
                allocations: allocations.isEmpty ? nil : try allocations.map { try Self.allocation($0) })
            let id = try await withPool(connection) { try await PaymentStore(pool: $0).receive(payment) }
            print("Recorded payment \(id): \(amount.money) from \(customer).")
        }

        /// NUMBER or NUMBER=AMOUNT: a posted invoice's number (a whole number), and the share of the
        /// payment it gets (an amount greater than zero).
        static func allocation(_ text: String) throws -> NewPayment.Allocation {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            // A bad value of a repeated option is found as the command runs: it is said plainly, with no usage text.
            guard let first = parts.first, let number = Int64(first.trimmingCharacters(in: .whitespaces)), number > 0 else {
                throw Failure(
                    "--invoice '\(text)': start with the invoice's number (a whole number such as 12), then =AMOUNT if only part goes to it", code: 64
                )
            }
            var allocation = NewPayment.Allocation(invoiceNumber: number)
            if parts.count == 2 {
                guard let share = Decimal(argument: parts[1].trimmingCharacters(in: .whitespaces)), share > 0 else {
                    throw Failure(
                        "--invoice '\(text)': after '=' give the amount allocated to invoice \(number), greater than zero (such as \(number)=100.00)",
                        code: 64)
                }
                allocation.amount = share
            }
            return allocation
        }
    }
}
