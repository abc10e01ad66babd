import Foundation
import Postgres

/// What is wrong with the books, read from the tables themselves: a posted invoice or credit note
/// without exactly one ledger entry of its total, one audit row, a number, and its stock moved; a
/// draft with any of them; numbers with a gap; stock on hand that is not the sum of its
/// movements; customer items of invoices that are not posted; allocations above what an invoice
/// or a credit note has; more credited than invoiced; a unique serial in two places; an active
/// customer item whose serial came back; a customer whose kept balance is not the sum of its
/// ledger. Empty when the books agree.
public func bookProblems(_ connection: PostgresConnection) async throws -> [String] {
    try await connection.query(PostgresQuery(unsafeSQL: booksCheck)).map { try $0.decode("problem", as: String.self) }
}

/// sql/checks/books.sql, which scripts/ha-check runs with psql too.
private let booksCheck: String = {
    let file = URL(fileURLWithPath: TestServer.sqlDirectory).appendingPathComponent("checks/books.sql")
    guard let text = try? String(contentsOf: file, encoding: .utf8) else { fatalError("cannot read \(file.path)") }
    return text.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
}()

/// A fault test's size: the environment variable `name` when set (to run it at full size by
/// hand, see docs/reliability.md), else `standard`, the size the test command runs.
public func faultSize(_ name: String, _ standard: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? standard
}
