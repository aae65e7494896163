import BerthModel
import Testing

/// Service and volume names follow BerthModel's `ResourceName` grammar,
/// the one the runtime checks when it makes them.
@Suite("service and volume names")
struct ResourceNamesTests {
    @Test func aServiceNameOutsideTheGrammar() {
        #expect(
            loadYAMLError(
                """
                services:
                  -web:
                    image: nginx
                """) == """
                    compose.yaml:2:3: services.-web: "-web" is not a valid service name: use letters, digits, "_", "." and "-", starting with a letter or digit
                    """)
    }

    /// A deliberate change: the loader used to accept these, and the
    /// runtime refused them when it made the volume (or the container).
    @Test func namesOver255BytesAreRefused() throws {
        let long = String(repeating: "v", count: 256)
        #expect(
            loadYAMLError(
                """
                services:
                  \(long):
                    image: nginx
                    volumes:
                      - \(long):/data
                      - {type: volume, source: \(long), target: /more}
                volumes:
                  \(long):
                  named:
                    name: \(long)
                """) == """
                    compose.yaml:5:9: services.\(long).volumes[0]: "\(long)" is too long: 256 bytes, at most 255
                    compose.yaml:6:32: services.\(long).volumes[1].source: "\(long)" is too long: 256 bytes, at most 255
                    compose.yaml:10:11: volumes.named.name: "\(long)" is too long: 256 bytes, at most 255
                    """)
        #expect(
            loadYAMLError(
                """
                services:
                  \(long):
                    image: nginx
                """) == """
                    compose.yaml:2:3: services.\(long): "\(long)" is not a valid service name: 256 bytes, at most 255
                    """)
        let longest = String(repeating: "v", count: 255)
        let loaded = try loadYAML(
            """
            services:
              \(longest):
                image: nginx
                volumes: ["\(longest):/data"]
            volumes:
              \(longest):
            """)
        #expect(loaded.project.services[longest]?.volumes.first?.source == longest)
    }
}
