import BerthKube
import Testing

@Suite("Kube emitter")
struct KubeEmitterTests {
    @Test("strings that would read back as something else are quoted; lists sit at their key's column")
    func quoting() {
        let value = KubeValue.object([
            "plain": "web-1", "number": "8080", "yes": "yes", "On": "On", "empty": "", "colon": "a: b",
            "path": "/run/secrets/db", "script": "echo \"$HOME\"\nexit 1", "octal": "0755", "dot": ".inf",
            "list": ["a", 1, true], "nested": .list([.object(["name": "x", "value": "y"])]), "none": .map([]),
        ])
        #expect(
            KubeEmitter.yaml(value) == """
                plain: web-1
                number: "8080"
                "yes": "yes"
                "On": "On"
                empty: ""
                colon: "a: b"
                path: /run/secrets/db
                script: "echo \\"$HOME\\"\\nexit 1"
                octal: "0755"
                dot: ".inf"
                list:
                - a
                - 1
                - true
                nested:
                - name: x
                  value: "y"
                none: {}

                """)
    }

    @Test("JSON keeps the order and escapes as YAML's double quotes do")
    func json() {
        let value = KubeValue.object(["b": 1, "a": ["x\u{1}"], "c": .map([])])
        #expect(
            KubeEmitter.json(value) == """
                {
                  "b": 1,
                  "a": [
                    "x\\u0001"
                  ],
                  "c": {}
                }

                """)
    }
}
