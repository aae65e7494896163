import BerthModel
import Testing

/// The one grammar for the names of services, volumes and networks, which
/// the loader and the runtime both check.
@Suite("resource names")
struct ResourceNameTests {
    @Test func dockersGrammar() {
        for valid in ["db", "shop_data", "a.b-c_d", "0", "A9", String(repeating: "v", count: 255)] {
            #expect(ResourceName.problem(valid) == nil, "\(valid)")
        }
        #expect(ResourceName.problem("") == .empty)
        for invalid in ["_a", ".a", "-rf", "..", "a/b", "a b", "a:b", "é", "a\u{0}b"] {
            #expect(ResourceName.problem(invalid) == .characters, "\(invalid)")
        }
    }

    @Test func atMost255BytesOrTheLimitGiven() {
        #expect(ResourceName.problem(String(repeating: "v", count: 256)) == .tooLong(bytes: 256))
        #expect(ResourceName.problem(String(repeating: "c", count: 128), maxBytes: 128) == nil)
        #expect(ResourceName.problem(String(repeating: "c", count: 129), maxBytes: 128) == .tooLong(bytes: 129))
        // A bad character is reported before the length.
        #expect(ResourceName.problem("/" + String(repeating: "v", count: 300)) == .characters)
    }
}
