import Foundation
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs a program to completion (swift-subprocess). Its output goes to temporary files rather
/// than pipes: a server that `pg_ctl` starts keeps the output it inherited open for as long as
/// it lives, so a pipe would never reach its end.
public enum Program {
    public struct Result: Sendable {
        /// The exit status; 128 + the signal's number when a signal ended it.
        public var status: Int32
        /// Standard output (with standard error too when merged).
        public var output: String
        public var error: String
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Runs `command` (a path, or a name searched on PATH), feeding `input` to its standard input;
    /// `environment` replaces the inherited one when given.
    public static func run(
        _ command: [String], input: String? = nil, environment: [String: String]? = nil, mergeOutput: Bool = false
    ) async throws(Failure) -> Result {
        precondition(!command.isEmpty, "a command needs a program")
        let base = NSTemporaryDirectory() + "postgate-run-\(UUID().uuidString)"
        let inputPath = base + ".in"
        let outputPath = base + ".out"
        let errorPath = base + ".err"
        defer { for path in [inputPath, outputPath, errorPath] { try? FileManager.default.removeItem(atPath: path) } }
        _ = FileManager.default.createFile(atPath: inputPath, contents: Data((input ?? "").utf8), attributes: [.posixPermissions: 0o600])
        let program = command[0]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        // Each entry a C string: swift-subprocess copies raw entries with strdup, which reads to the NUL.
        let environment: Environment = environment.map { values in .custom(values.map { Array("\($0.key)=\($0.value)\0".utf8) }) } ?? .inherit
        let status: TerminationStatus
        do {
            let input = try FileDescriptor.open(FilePath(inputPath), .readOnly)
            let output = try FileDescriptor.open(FilePath(outputPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
            if mergeOutput {
                status = try await Subprocess.run(
                    executable, arguments: Arguments(Array(command.dropFirst())), environment: environment,
                    input: .fileDescriptor(input, closeAfterSpawningProcess: true),
                    output: .fileDescriptor(output, closeAfterSpawningProcess: true), error: .combinedWithOutput
                ).terminationStatus
            } else {
                let error = try FileDescriptor.open(FilePath(errorPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
                status = try await Subprocess.run(
                    executable, arguments: Arguments(Array(command.dropFirst())), environment: environment,
                    input: .fileDescriptor(input, closeAfterSpawningProcess: true),
                    output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(error, closeAfterSpawningProcess: true)
                ).terminationStatus
            }
        } catch {
            throw Failure(description: "cannot run \(program): \(error)")
        }
        let code: Int32
        switch status {
        case .exited(let exit): code = exit
        case .signaled(let signal): code = 128 + signal
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Result(status: code, output: read(outputPath), error: mergeOutput ? "" : read(errorPath))
    }
}
