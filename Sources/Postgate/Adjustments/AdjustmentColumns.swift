/// The CSV columns of adjustments: the export's headings, which the import reads. Kept stable:
/// files written by one version of Postgate import into the next.
public enum AdjustmentColumn: String, CaseIterable, Sendable {
    case customerCode = "Customer Code"
    case customerName = "Customer Name"
    case adjustmentDate = "Adjustment Date"
    case amount = "Amount"
    case currency = "Currency"
    case reason = "Reason"
    case reference = "Reference"
    case notes = "Notes"
    case importBatch = "Import Batch"
    case createdAt = "Created At (UTC)"

    /// The staging table's column.
    public var stagingColumn: String {
        switch self {
        case .customerCode: "customer_code"
        case .customerName: "customer_name"
        case .adjustmentDate: "adjustment_date"
        case .amount: "amount"
        case .currency: "currency"
        case .reason: "reason"
        case .reference: "reference"
        case .notes: "notes"
        case .importBatch: "import_batch"
        case .createdAt: "created_at"
        }
    }

    public var mandatory: Bool { [.customerCode, .adjustmentDate, .amount].contains(self) }

    /// Written by the export, ignored by the import.
    public var exportOnly: Bool { [.customerName, .importBatch, .createdAt].contains(self) }

    /// The rule a person reads in the template's companion file.
    public var rule: (format: String, example: String, whenEmpty: String) {
        switch self {
        case .customerCode: ("the code of an active customer, any case", "ACME", "refused: mandatory")
        case .customerName: ("written by the export; ignored on import", "Acme Ltd", "ignored")
        case .adjustmentDate: ("a date as YYYY-MM-DD (ISO 8601); no other form is accepted", "2026-11-01", "refused: mandatory")
        case .amount: ("a decimal number with a point, no thousands separators; negative lowers the balance; at most the currency's decimals", "-125.50", "refused: mandatory")
        case .currency: ("a three-letter currency code; the amount is converted to the customer's currency at the rate valid on the date", "EUR", "the customer's currency")
        case .reason: ("an adjustment reason code", "GENERAL", "the default reason (setting default_adjustment_reason)")
        case .reference: ("free text", "CN-2026-001", "empty")
        case .notes: ("free text; may hold commas, quotes and line breaks inside double quotes", "\"Goodwill, per call\"", "empty")
        case .importBatch: ("written by the export; ignored on import", "12", "ignored")
        case .createdAt: ("written by the export, in UTC; ignored on import", "2026-11-01 09:30:00", "ignored")
        }
    }

    /// The headings a template file carries: every column the import reads.
    public static var importable: [AdjustmentColumn] { allCases.filter { !$0.exportOnly } }
}

/// Reads the first record of a CSV file: its headings. Handles a UTF-8 byte-order mark, quotes,
/// and CRLF. Returns the headings and the byte offset where the data starts.
enum CSVHeader {
    static func parse(_ bytes: [UInt8]) -> (headings: [String], dataStart: Int)? {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                fields.append(String(decoding: field, as: UTF8.self))
                var next = index + 1
                if byte == UInt8(ascii: "\r") && next < bytes.count && bytes[next] == UInt8(ascii: "\n") { next += 1 }
                return (fields, next)
            } else {
                field.append(byte)
            }
            index += 1
        }
        guard !quoted else { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        return (fields, bytes.count)
    }
}
