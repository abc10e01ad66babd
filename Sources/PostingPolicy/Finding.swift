/// How much a finding matters to posting.
public enum Severity: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    /// For the record only.
    case info
    /// Shown to the user; posting goes on.
    case warn
    /// Posting is refused until it is resolved.
    case block

    private var rank: Int {
        switch self {
        case .info: 0
        case .warn: 1
        case .block: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One thing a rule found about an invoice: which rule, how serious, a stable code for
/// programs, a sentence for a person saying what to do, and the numbers behind it.
public struct Finding: Sendable, Hashable, Codable {
    public var rule: String
    public var severity: Severity
    public var code: String
    public var message: String
    public var figures: [String: String]

    public init(rule: String, severity: Severity, code: String, message: String, figures: [String: String] = [:]) {
        self.rule = rule
        self.severity = severity
        self.code = code
        self.message = message
        self.figures = figures
    }
}

/// The verdict on one document: every finding of every rule. It may be posted only when no
/// finding blocks.
public struct Decision: Sendable, Hashable, Codable {
    public var findings: [Finding]

    public init(findings: [Finding]) {
        self.findings = findings
    }

    public var blockers: [Finding] { findings.filter { $0.severity == .block } }
    public var canPost: Bool { blockers.isEmpty }
}
