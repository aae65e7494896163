import BerthModel
import Builder

extension LinuxRuntime {
    /// The image builder's backend over this runtime's image store and
    /// container driver, working under `<root>/build`.
    public nonisolated func buildBackend() throws -> LinuxBuildBackend {
        let crunRoot = configuration.crunRoot ?? configuration.root + "/crun"
        return try LinuxBuildBackend(
            store: imageStore, driver: driver, crun: [configuration.crunPath, "--root", crunRoot],
            root: configuration.root)
    }
}
