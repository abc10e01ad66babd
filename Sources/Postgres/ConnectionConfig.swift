import Foundation

/// Where and how to connect, in libpq's own terms: keyword/value parameters, any of which may
/// be a whole conninfo string or URL (`dbname`, expanded by libpq). Parameters not given fall
/// back to libpq's `PG*` environment variables and defaults, exactly as for psql.
public struct ConnectionConfig: Sendable, Hashable, CustomStringConvertible {
    /// Ordered keyword/value pairs; later ones override earlier ones.
    public var parameters: [(String, String)] {
        get { storage.map { ($0.key, $0.value) } }
        set { storage = newValue.map { Parameter(key: $0.0, value: $0.1) } }
    }
    private var storage: [Parameter]

    /// Settings every transaction of the connection gets as `SET LOCAL` (`set_config(name, value,
    /// true)`), sent with its first statement in one round trip: the way to give a connection
    /// settings that works through a pooler in transaction mode, which refuses startup `options`
    /// and hands a session's `SET` to other clients.
    public var transactionSettings: [String: String] = [:]

    private struct Parameter: Sendable, Hashable {
        var key: String
        var value: String
    }

    public init(parameters: [(String, String)] = []) {
        storage = parameters.map { Parameter(key: $0.0, value: $0.1) }
    }

    /// A conninfo string (`host=/tmp dbname=x`) or URL (`postgresql://…`).
    public init(conninfo: String) {
        self.init(parameters: [("dbname", conninfo)])
    }

    /// `DATABASE_URL` if set, else libpq's `PG*` variables and defaults.
    public static func environment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ConnectionConfig {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return ConnectionConfig(conninfo: url) }
        return ConnectionConfig()
    }

    /// True when the environment names a server: `DATABASE_URL` or one of libpq's `PG*`
    /// connection variables.
    public static func environmentNamesServer(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        let names = ["DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]
        return names.contains { environment[$0].map { !$0.isEmpty } ?? false }
    }

    /// The same connection with one parameter set (for example another `dbname`).
    public func with(_ key: String, _ value: String) -> ConnectionConfig {
        var copy = self
        copy.storage.append(Parameter(key: key, value: value))
        return copy
    }

    /// The same connection with a setting every transaction gets (see `transactionSettings`).
    public func settingEachTransaction(_ name: String, _ value: String) -> ConnectionConfig {
        var copy = self
        copy.transactionSettings[name] = value
        return copy
    }

    /// The parameters as one conninfo string (`host='/tmp/x' dbname='postgate'`), quoted as libpq
    /// reads it, for handing to another program. A parameter that is itself a URL or conninfo
    /// string is passed as `dbname`, which libpq expands.
    public var conninfo: String {
        storage.map { parameter in
            let escaped = parameter.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "\(parameter.key)='\(escaped)'"
        }.joined(separator: " ")
    }

    /// The parameters for people, passwords hidden; a whole conninfo string or URL is shown as given.
    public var description: String {
        storage.map { parameter in
            if parameter.key == "password" { return "password=***" }
            if parameter.key == "dbname", parameter.value.contains("=") || parameter.value.contains("://") {
                return parameter.value
                    .replacingOccurrences(of: #"password\s*=\s*('[^']*'|\S+)"#, with: "password=***", options: .regularExpression)
                    .replacingOccurrences(of: #"(://[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
            }
            return "\(parameter.key)=\(parameter.value)"
        }.joined(separator: " ")
    }
}
