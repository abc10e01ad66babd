import Foundation

/// Runs a program to completion with posix_spawn and waitpid. Foundation's `Process` waits on
/// a run loop that an async command-line tool does not turn, and a pipe would stay open as long
/// as a server started by `pg_ctl` lives; output therefore goes through temporary files.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output (with standard error too when merged).
        public var output: String
        public var error: String
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Runs `command` (searched on PATH), feeding `input` to its standard input.
    public static func run(
        _ command: [String], input: String? = nil, environment: [String: String]? = nil, mergeOutput: Bool = false
    ) throws(Failure) -> Result {
        precondition(!command.isEmpty, "a command needs a program")
        let base = NSTemporaryDirectory() + "postgate-run-\(UUID().uuidString)"
        let inputPath = base + ".in", outputPath = base + ".out", errorPath = base + ".err"
        defer { [inputPath, outputPath, errorPath].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        _ = FileManager.default.createFile(atPath: inputPath, contents: Data((input ?? "").utf8), attributes: [.posixPermissions: 0o600])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if mergeOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }

        var pid = pid_t()
        let spawned = envp.map { posix_spawnp(&pid, command[0], &actions, nil, argv, $0) }
            ?? posix_spawnp(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot run \(command[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(description: "waiting for \(command[0]) failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Result(status: exit, output: read(outputPath), error: mergeOutput ? "" : read(errorPath))
    }
}
