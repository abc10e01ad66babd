import Foundation
import PackagePlugin

/// Turns the target's `openapi.yaml` into `SpecificationTable.swift` (the contract as typed values
/// the request checks read) each time the spec changes.
@main
struct SpecificationTablePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget,
            let spec = module.sourceFiles.first(where: { $0.url.lastPathComponent == "openapi.yaml" })
        else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "SpecificationTable.swift")
        return [
            .buildCommand(
                displayName: "Generating the request checks from \(spec.url.lastPathComponent)",
                executable: try context.tool(named: "SpecificationTableGenerator").url,
                arguments: [spec.url.path(percentEncoded: false), output.path(percentEncoded: false)],
                inputFiles: [spec.url], outputFiles: [output])
        ]
    }
}
