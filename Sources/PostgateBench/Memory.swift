import Foundation

/// Resident memory of this process, from /proc (0 where there is none).
public enum ResidentMemory {
    /// The peak since the process started or since the last `resetPeak()` (VmHWM), in bytes.
    public static var peak: Int { field("VmHWM:") }

    /// Resident memory now (VmRSS), in bytes.
    public static var current: Int { field("VmRSS:") }

    /// Starts the peak again from the resident memory now, so that `peak` tells the peak of
    /// what follows (Linux: 5 written to /proc/self/clear_refs).
    public static func resetPeak() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    private static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
