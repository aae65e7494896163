import BerthModel
import Testing

/// Sizes printed as docker prints them (go-units' HumanSize: decimal, `%.4g`)
/// and read as `--keep-storage` reads them (RAMInBytes: binary).
struct DecimalSizeTests {
    @Test(arguments: [
        (Int64(0), "0B"), (512, "512B"), (1000, "1kB"), (1500, "1.5kB"), (12_345_678, "12.35MB"),
        (4_299_262, "4.299MB"), (2_000_000_000, "2GB"), (999, "999B"),
    ])
    func printedAsDocker(bytes: Int64, text: String) {
        #expect(DecimalSize.text(bytes) == text)
    }

    @Test(arguments: [
        ("100", Int64(100)), ("1k", 1024), ("512MB", 512 << 20), ("10GB", 10 << 30), ("1.5g", 3 << 29),
        ("2 KiB", 2048),
    ])
    func readAsDocker(text: String, bytes: Int64) {
        #expect(DecimalSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "ten", "-1", "5 parsecs"])
    func aWrongSizeIsRefused(text: String) {
        #expect(DecimalSize.parse(text) == nil)
    }
}
