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
        guard let block = try blocks(after: "walkthrough").first else {
            throw PostgresError(kind: .clientMisuse, message: "the README has no walkthrough block")
        }
        return block
    }

    /// Every shell block that follows `<!-- MARKER -->`, in the README's order.
    static func blocks(after marker: String) throws -> [String] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var found: [String] = []
        var rest = readme.startIndex..<readme.endIndex
        while let start = readme.range(of: "<!-- \(marker) -->\n```sh\n", range: rest),
            let end = readme.range(of: "\n```", range: start.upperBound..<readme.endIndex)
        {
            found.append(String(readme[start.upperBound..<end.lowerBound]))
            rest = end.upperBound..<readme.endIndex
        }
        return found
    }

    /// A folder whose `postgate` is the executable under test, to put first on `PATH`: the README
    /// runs `postgate` as the quickstart leaves it.
    static func binFolder(in folder: URL) throws -> String {
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("postgate").path, withDestinationPath: postgateExecutable)
        return bin.path
    }

    @Test("the quickstart runs as written: a data folder of its own, migrated, the demo, a token, the service")
    func quickstart() async throws {
        guard let block = try Self.blocks(after: "quickstart").first else {
            Issue.record("the README has no quickstart block")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = String(testPort(10))
        let bin = try Self.binFolder(in: folder)
        // The build is done already (this is its executable); `serve` runs until it answers /ready.
        let steps = block.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("swift build") }.map { line in
            line.hasPrefix("postgate serve")
                ? "postgate serve --port \(port) >serve.log 2>&1 &\nuntil curl -sf localhost:\(port)/ready >/dev/null; do sleep 0.2; done\n"
                    + "curl -sf localhost:\(port)/docs >/dev/null\nkill %1; wait || true"
                : line.replacingOccurrences(of: "$PWD/.build/release", with: bin)
        }
        var environment = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "PGHOST", "PGDATABASE", "PGUSER", "PGPORT"] { environment[name] = nil }
        let script = "set -euo pipefail\ncd '\(folder.path)'\n" + steps.joined(separator: "\n") + "\npostgate db stop\n"
        let session = try await Program.run(["bash", "-c", script], environment: environment)
        #expect(session.status == 0, "\(session.output.suffix(3000))\n\(session.error.suffix(3000))")
        #expect(session.output.contains("Migrated to version"))
        #expect(session.output.contains("pgt_"), "a token was made")
        #expect(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent(".postgate/server.log").path),
            "the server's log is where the README says")
    }

    @Test("every example marked in the README runs as written, in order, after the demo")
    func examples() async throws {
        let blocks = try Self.blocks(after: "example")
        #expect(blocks.count >= 5)
        try await withTestDatabase { database in
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = database.config.conninfo
            let demo = try await Program.run([postgateExecutable, "demo"], environment: environment)
            try #require(demo.status == 0, "\(demo.error)")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            environment["PATH"] = try Self.binFolder(in: folder) + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            for block in blocks {
                let run = try await Program.run(["bash", "-c", "set -euo pipefail\ncd '\(folder.path)'\n" + block], environment: environment)
                #expect(run.status == 0, "\(block)\n\(run.output.suffix(2000))\n\(run.error.suffix(2000))")
                #expect(!run.error.contains("Error:"), "\(block)\n\(run.error.suffix(2000))")
            }
        }
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
            environment["PATH"] = try Self.binFolder(in: folder) + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            let script =
                "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\ncd '\(folder.path)'\n"
                + (try Self.walkthrough())
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
