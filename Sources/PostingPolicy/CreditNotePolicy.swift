/// The rules that guard posting a credit note, built from the same settings as the invoices'.
///
/// A credit note lowers what the customer owes, so the rules about what a customer may owe or
/// must pay (credit limit, Cash Sales Only) and about what a sale creates (review of customer
/// items, tax rates, stock on hand) have nothing to say about it. What applies: it has lines; a
/// customer on hold for sales invoices gets no credit note either (the hold stops the books of
/// that customer while it is looked into); and it takes back only what its invoice sold and has
/// left to credit.
public enum CreditNotePolicy {
    /// Every rule, in the order findings are reported.
    static var allRules: [any Rule<CreditNoteFacts>] { [HasLinesRule(), OnHoldRule(), CreditableRule()] }

    public static func ruleSet(_ settings: PolicySettings) -> RuleSet<CreditNoteFacts> {
        RuleSet(configuring: allRules, with: settings)
    }

    public static func evaluate(_ facts: CreditNoteFacts, settings: PolicySettings) -> Decision {
        ruleSet(settings).evaluate(facts)
    }
}
