import Foundation

/// Finds the folders Postgate ships beside its executable (`sql`, `console`): `share/postgate/NAME`
/// beside the executable's folder (an installed copy), else `NAME` in the source tree it was built
/// from; the first that holds `marker`.
public enum InstalledFiles {
    public static func folder(_ name: String, holding marker: String) -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [executable.appendingPathComponent("../share/postgate/\(name)").standardizedFileURL.path, sourceTree(name)]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + marker) }
    }

    /// `NAME` in the checkout this file was compiled from: beside the `Sources` folder above it.
    public static func sourceTree(_ name: String) -> String {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.lastPathComponent != "Sources" && folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// Finds the folder holding Postgate's `migrations/` and `routines/`, so `postgate migrate`
/// works from any folder: `--sql DIR`, else `POSTGATE_SQL_DIR`, else `share/postgate/sql`
/// beside the executable's folder (an installed copy), else the `sql/` folder of the source
/// tree it was built from.
public enum SQLFiles {
    public static func locate(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["POSTGATE_SQL_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        return InstalledFiles.folder("sql", holding: "migrations") ?? sourceTreeSQL
    }

    /// `sql/` of the checkout this file was compiled from.
    public static var sourceTreeSQL: String { InstalledFiles.sourceTree("sql") }
}
