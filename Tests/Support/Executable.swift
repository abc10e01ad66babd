import Foundation

/// The `postgate` executable the tests run as a process: `POSTGATE_BIN`, else the one built
/// beside the test runner (on Linux, .build/<config>/<Package>PackageTests.xctest).
public let postgateExecutable: String = {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = testBinary.deletingLastPathComponent()
    while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("postgate").path), folder.path != "/" {
        folder = folder.deletingLastPathComponent()
    }
    return ProcessInfo.processInfo.environment["POSTGATE_BIN"] ?? folder.appendingPathComponent("postgate").path
}()
