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
        case .amount:
            (
                "a decimal number with a point, no thousands separators; negative lowers the balance; at most the currency's decimals", "-125.50",
                "refused: mandatory"
            )
        case .currency:
            (
                "a three-letter currency code; the amount is converted to the customer's currency at the rate valid on the date", "EUR",
                "the customer's currency"
            )
        case .reason: ("an adjustment reason code", "GENERAL", "the default reason (setting default_adjustment_reason)")
        case .reference: ("free text", "CN-2026-001", "empty")
        case .notes: ("free text; may hold commas, quotes and line breaks inside double quotes", "\"Goodwill, per call\"", "empty")
        case .importBatch: ("written by the export; ignored on import", "12", "ignored")
        case .createdAt: ("written by the export, in UTC; ignored on import", "2026-11-01 09:30:00", "ignored")
        }
    }

    /// The column's width in a written workbook, in characters.
    public var width: Int {
        switch self {
        case .customerCode, .currency, .reason, .importBatch: 14
        case .customerName, .notes: 32
        case .adjustmentDate, .amount: 16
        case .reference: 20
        case .createdAt: 20
        }
    }

    /// The headings a template file carries: every column the import reads.
    public static var importable: [AdjustmentColumn] { allCases.filter { !$0.exportOnly } }

    /// The import template: the headings of the columns a file may have.
    public static var templateCSV: String { importable.map(\.rawValue).joined(separator: ",") + "\n" }

    /// Each column's rules as CSV: mandatory, format, example, what an empty value means.
    public static var rulesCSV: String {
        func quote(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var text = "Column,Mandatory,Format,Example,When empty\n"
        for column in allCases {
            let rule = column.rule
            text +=
                [column.rawValue, column.mandatory ? "yes" : "no", rule.format, rule.example, rule.whenEmpty].map(quote).joined(separator: ",") + "\n"
        }
        return text
    }
}
