import Foundation

/// Finds the folder holding Postgate's `migrations/` and `routines/`, so `postgate migrate`
/// works from any folder: `--sql DIR`, else `POSTGATE_SQL_DIR`, else `share/postgate/sql`
/// beside the executable's folder (an installed copy), else the `sql/` folder of the source
/// tree it was built from.
public enum SQLFiles {
    public static func locate(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["POSTGATE_SQL_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        var candidates: [String] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(executable.appendingPathComponent("../share/postgate/sql").standardizedFileURL.path)
        candidates.append(sourceTreeSQL)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/migrations") } ?? sourceTreeSQL
    }

    /// `sql/` of the checkout this file was compiled from: beside the `Sources` folder above it.
    public static var sourceTreeSQL: String {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.lastPathComponent != "Sources" && folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.deletingLastPathComponent().appendingPathComponent("sql").path
    }
}
