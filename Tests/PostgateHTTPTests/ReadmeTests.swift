import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// The README's first session with the HTTP service, run as a newcomer would type it: bash,
/// curl and jq against `postgate serve`, after the demo company is loaded.
@Suite("The README's curl session runs as written")
struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shell block that follows `<!-- walkthrough -->`.
    static func walkthrough() throws -> String {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let marker = readme.range(of: "<!-- walkthrough -->\n```sh\n"),
            let end = readme.range(of: "\n```", range: marker.upperBound..<readme.endIndex)
        else { throw PostgresError(kind: .clientMisuse, message: "the README has no walkthrough block") }
        return String(readme[marker.upperBound..<end.lowerBound])
    }

    @Test("a draft posted, a mass posting previewed and confirmed, an adjustments CSV imported and exported")
    func session() async throws {
        let tools = try await Program.run(["bash", "-c", "command -v curl && command -v jq"])
        try #require(tools.status == 0, "curl and jq are needed (scripts/install-deps installs them)")
        try await withTestDatabase { database in
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = database.config.conninfo
            let demo = try await Program.run([postgateExecutable, "demo"], environment: environment)
            try #require(demo.status == 0, "\(demo.error)")
            let port = String(testPort(9))
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let script =
                "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\ncd '\(folder.path)'\n"
                + (try Self.walkthrough())
                .replacingOccurrences(of: ".build/release/postgate", with: postgateExecutable)
                .replacingOccurrences(of: "serve &", with: "serve --port \(port) &")
                .replacingOccurrences(of: "localhost:8080", with: "localhost:\(port)")
            let session = try await Program.run(["bash", "-c", script], environment: environment)
            #expect(session.status == 0, "\(session.output.suffix(3000))\n\(session.error.suffix(3000))")
            #expect(session.output.contains("\"number\""), "a draft was posted")
            #expect(session.output.contains("\"status\" : \"finished\""), "the mass posting finished")
            #expect(session.output.contains("\"batch_id\""), "the CSV was imported")
            #expect(session.output.contains("DEMO-ACME,Acme Hotels,2026-11-02,-15.00"), "and exported")
            let connection = try await PostgresConnection.connect(database.config)
            let batch = try await connection.query("SELECT count(*) FROM ar.invoices WHERE reference = 'batch' AND number IS NOT NULL")[0].decode(
                0, as: Int.self)
            await connection.close()
            #expect(batch == 3, "the three drafts of the mass posting were posted")
        }
    }
}
