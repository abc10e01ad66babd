import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

@Suite("Finding the database")
struct DatabaseTargetTests {
    @Test("--database wins over DATABASE_URL, which wins over PG* variables, which win over the embedded server")
    func precedence() {
        let everything = ["DATABASE_URL": "postgresql://env/db", "PGHOST": "pghost"]
        guard
            case .configured(let explicit, let source) = DatabaseTarget.resolve(
                database: "postgresql://flag/db", dataFolder: nil, environment: everything)
        else {
            Issue.record("--database should win")
            return
        }
        #expect(source == "--database")
        #expect(explicit == ConnectionConfig(conninfo: "postgresql://flag/db"))

        guard case .configured(_, let fromURL) = DatabaseTarget.resolve(database: nil, dataFolder: nil, environment: everything) else {
            Issue.record("DATABASE_URL should win")
            return
        }
        #expect(fromURL == "DATABASE_URL")

        guard case .configured(let libpq, let fromPG) = DatabaseTarget.resolve(database: nil, dataFolder: nil, environment: ["PGHOST": "pghost"])
        else {
            Issue.record("PG* should win")
            return
        }
        #expect(fromPG == "PG* environment variables")
        #expect(libpq.parameters.isEmpty)

        guard case .embedded(let cluster, let database) = DatabaseTarget.resolve(database: nil, dataFolder: nil, environment: [:]) else {
            Issue.record("the embedded server is the default")
            return
        }
        #expect(cluster.root.hasSuffix("/.postgate"))
        #expect(database == "postgate")

        guard case .embedded(let chosen, _) = DatabaseTarget.resolve(database: nil, dataFolder: "/tmp/elsewhere", environment: ["PGHOST": "x"]) else {
            Issue.record("--data names the embedded server")
            return
        }
        #expect(chosen.root == "/tmp/elsewhere")
    }

    @Test("the SQL folder is found from an explicit path, the environment, or the source tree")
    func sqlFolder() {
        #expect(SQLFiles.locate(explicit: "/opt/sql", environment: [:]) == "/opt/sql")
        #expect(SQLFiles.locate(explicit: nil, environment: ["POSTGATE_SQL_DIR": "/srv/sql"]) == "/srv/sql")
        let found = SQLFiles.locate(explicit: nil, environment: [:])
        #expect(FileManager.default.fileExists(atPath: found + "/migrations/V0001__schemas_and_roles.sql"))
    }
}

@Suite("Logins")
struct LoginStoreTests {
    @Test(
        "names are checked before anything reaches the server",
        arguments: ["", "Alice", "1abc", "a-b", "a b", String(repeating: "a", count: 64), "x\"; DROP ROLE postgres; --"])
    func invalidNames(_ name: String) {
        #expect(throws: LoginError.invalidName(name)) { try LoginStore.validate(name) }
    }

    @Test("logins join their group, are listed, and are removed; other roles are left alone")
    func addListRemove() async throws {
        try await withTestConnection { connection in
            let store = LoginStore(connection: connection)
            let name = "login_test_\(getpid())"
            try await store.add(name, role: .client, password: "s3cret")
            let listed = try await store.list().first { $0.name == name }
            #expect(listed?.roles == [.client])
            #expect(listed?.hasPassword == true)
            let member = try await connection.query("SELECT pg_has_role(\(name), 'postgate_client', 'MEMBER') AS m")[0].decode("m", as: Bool.self)
            #expect(member)
            await #expect(throws: LoginError.exists(name)) { try await store.add(name, role: .reporting, password: nil) }
            try await store.remove(name)
            #expect(try await store.list().contains { $0.name == name } == false)
            await #expect(throws: LoginError.notFound(name)) { try await store.remove(name) }
            await #expect(throws: LoginError.notPostgateLogin("postgres")) { try await store.remove("postgres") }
        }
    }
}
