import Foundation
import Testing

@testable import PostgateHTTP

@Suite("The console's money: exact, at least two decimals, thousands grouped")
struct ConsoleFormatTests {
    @Test(
        "money as the en-US number format writes it, never rounded",
        arguments: [
            ("0", "0.00"), ("7", "7.00"), ("1234.5", "1,234.50"), ("-1234567.891234", "-1,234,567.891234"), ("0.001", "0.001"),
            ("999.99", "999.99"), ("1000", "1,000.00"), ("12345678901234567890.12", "12,345,678,901,234,567,890.12"),
            ("-0.5", "-0.50"),
        ])
    func money(_ value: String, _ written: String) {
        #expect(ConsoleFormat.money(Decimal(string: value, locale: Locale(identifier: "en_US_POSIX"))!) == written)
    }
}
