import Foundation
import Postgres
import PostgresServer
import Testing

@Suite("Embedded server")
struct LocalClusterTests {
    @Test("initdb, start, connect, stop and status in a fresh root-owned temporary folder")
    func lifecycle() async throws {
        let parent = NSTemporaryDirectory() + "postgate-cluster-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let cluster = LocalCluster(root: parent + "/nested/data")
        #expect(try cluster.status() == .notInitialized)
        try await cluster.start(settings: ["fsync": "off"])
        defer { cluster.signalStop() }
        guard case .running(let pid, let port) = try cluster.status() else {
            Issue.record("the server should run")
            return
        }
        #expect(pid > 0)
        #expect(port == 5432)
        #expect(try await cluster.createDatabase("postgate"))
        #expect(try await cluster.createDatabase("postgate") == false)
        let connection = try await PostgresConnection.connect(ConnectionConfig(conninfo: cluster.url(database: "postgate")))
        let settings = try await connection.query("SELECT current_setting('listen_addresses') AS listen, current_database() AS db")[0]
        #expect(try settings.decode("listen", as: String.self) == "")
        #expect(try settings.decode("db", as: String.self) == "postgate")
        await connection.close()
        try await cluster.stop()
        #expect(try cluster.status() == .stopped)
        // Starting again reuses the cluster.
        #expect(try await cluster.initialize() == false)
    }

    @Test("a port given once is kept when the server is started again without one")
    func portIsRemembered() async throws {
        let root = NSTemporaryDirectory() + "postgate-port-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cluster = LocalCluster(root: root)
        let port = 20_000 + Int(getpid() % 20_000)
        try await cluster.start(port: port, settings: ["fsync": "off"])
        defer { cluster.signalStop() }
        try await cluster.stop()
        try await cluster.start(settings: ["fsync": "off"])
        guard case .running(_, let running) = try cluster.status() else {
            Issue.record("the server should run")
            return
        }
        #expect(running == port)
        #expect(cluster.rememberedPort == port)
    }

    @Test("unsafe server settings are refused")
    func settingsAreChecked() async throws {
        let cluster = LocalCluster(root: NSTemporaryDirectory() + "postgate-unused-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: cluster.root) }
        await #expect(throws: LocalClusterError.self) { try await cluster.start(settings: ["fsync": "off; rm -rf /"]) }
    }

    @Test("a long data path gets a short private socket folder")
    func longPathsGetShortSockets() {
        let long = "/tmp/" + String(repeating: "deep/", count: 30)
        let cluster = LocalCluster(root: long)
        #expect(cluster.socketDirectory.hasPrefix("/tmp/postgate-"))
        #expect(cluster.socketDirectory.utf8.count < 40)
        #expect(LocalCluster(root: "/tmp/x").socketDirectory == "/tmp/x/socket")
    }
}
