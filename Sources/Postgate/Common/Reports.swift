import Foundation
import Postgres

/// The `report` views, read a page at a time as JSON objects whose numbers are decimal strings
/// (exact, as money must be).
public struct Reports: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The names of the report views.
    public func views() async throws -> [String] {
        try await pool.query("SELECT viewname::text FROM pg_catalog.pg_views WHERE schemaname = 'report' ORDER BY 1").map { try $0.decode(0) }
    }

    /// Rows `offset` to `offset + limit` of a view, in a stable order (the rows' own text), and
    /// whether there are more.
    public func page(of view: String, offset: Int, limit: Int) async throws -> (rows: [String], more: Bool) {
        guard try await views().contains(view) else {
            throw DomainError(
                kind: .notFound, field: "view", message: "there is no report \(view)", hint: "The reports are the views of schema report.")
        }
        // The name is one of the catalog's, quoted; the numbers are binds.
        let sql = """
            SELECT (SELECT jsonb_object_agg(e.key, CASE WHEN jsonb_typeof(e.value) = 'number' THEN to_jsonb(e.value #>> '{}') ELSE e.value END)
                    FROM jsonb_each(to_jsonb(v)) e)::text AS row
            FROM report.\(PostgresQuery.quoteIdentifier(view)) v
            ORDER BY to_jsonb(v)::text
            OFFSET $1 LIMIT $2
            """
        let rows = try await domainErrors {
            try await pool.query(PostgresQuery(unsafeSQL: sql, binds: [Int64(offset).postgresBind, Int64(limit + 1).postgresBind]))
        }
        let texts = try rows.map { try $0.decode("row", as: String?.self) ?? "{}" }
        return (Array(texts.prefix(limit)), texts.count > limit)
    }
}
