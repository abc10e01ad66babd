import Crypto
import Foundation
import Postgres

/// What a token of the HTTP service may do.
public enum TokenRole: String, DatabaseText {
    /// Everything, posting and payments included.
    case poster
    /// Everything but posting and payments.
    case clerk
    /// Reading only.
    case reader
}

/// A token of the HTTP service, as listed (its hash is never shown).
public struct APIToken: Sendable, Hashable {
    public var name: String
    public var role: TokenRole

    public init(name: String, role: TokenRole) {
        self.name = name
        self.role = role
    }
}

/// Tokens of the HTTP service. A token is made here, shown once, and kept only as its SHA-256.
public struct TokenStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Makes a token for `name`; returns it (the only time it is shown).
    public func add(_ name: String, role: TokenRole) async throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let token =
            "pgt_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try await domainErrors {
            try await pool.query("SELECT api.add_api_token(\(name), \(role.rawValue), \(Self.hash(token)))")
        }
        return token
    }

    public func remove(_ name: String) async throws {
        try await domainErrors { try await pool.query("SELECT api.remove_api_token(\(name))") }
    }

    public func list() async throws -> [APIToken] {
        try await domainErrors {
            try await pool.query("SELECT name, role FROM api.list_api_tokens()").map {
                APIToken(name: try $0.decode("name"), role: try $0.decode("role"))
            }
        }
    }

    /// The token a request presents, or nil when it is no token of this service.
    public func token(presented: String) async throws -> APIToken? {
        try await domainErrors {
            try await pool.query("SELECT name, role FROM api.api_token(\(Self.hash(presented)))").first.map {
                APIToken(name: try $0.decode("name"), role: try $0.decode("role"))
            }
        }
    }

    /// How a token is kept and looked up: its SHA-256 in lowercase hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hex
    }
}
