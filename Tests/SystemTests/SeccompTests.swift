import Foundation
import TestSupport
import Testing

extension SystemTests {
    /// docker's default seccomp profile on every container (issue 16), seen
    /// from inside: a static probe calls each syscall the profile forbids
    /// and prints its errno; beside `docker run` when dockerd is there.
    @Suite struct SeccompTests {
        /// The probe: each syscall docker's profile refuses, with its errno (0: allowed).
        static let probeSource = #"""
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <linux/perf_event.h>
            #include <sched.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/personality.h>
            #include <sys/syscall.h>
            #include <unistd.h>

            static void say(const char *name, long result) { printf("%s %d\n", name, result < 0 ? errno : 0); }

            int main(void) {
                say("keyctl", syscall(SYS_keyctl, 0, -3, 0, 0, 0));
                say("add_key", syscall(SYS_add_key, "user", "berth", "x", 1, -3));
                say("unshare", unshare(CLONE_NEWUSER));
                say("personality", personality(READ_IMPLIES_EXEC) == -1 ? -1 : 0);
                struct perf_event_attr attr;
                memset(&attr, 0, sizeof attr);
                attr.type = PERF_TYPE_SOFTWARE;
                attr.size = sizeof attr;
                attr.config = PERF_COUNT_SW_CPU_CLOCK;
                say("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
                say("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
                return 0;
            }
            """#

        /// Compiles the probe, statically, into `directory/probe`.
        static func buildProbe(in directory: String) async throws {
            try probeSource.write(toFile: directory + "/probe.c", atomically: true, encoding: .utf8)
            let compilers = ["/opt/swift/usr/bin/clang", "/usr/bin/clang", "/usr/bin/cc"]
            guard let compiler = compilers.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw TestFailure("no C compiler for the seccomp probe at \(compilers)")
            }
            let built = try await run([compiler, "-static", "-O1", "-o", directory + "/probe", directory + "/probe.c"])
            guard built.status == 0 else { throw TestFailure("compiling the probe: \(built.stderr)") }
        }

        /// Service → syscall → errno, from `berth logs`.
        static func results(_ logs: String) -> [String: [String: Int]] {
            var results: [String: [String: Int]] = [:]
            for line in logs.split(separator: "\n") {
                let parts = line.split(separator: "|", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let service = String(parts[0].split(separator: "-").first ?? "")
                let words = parts[1].split(separator: " ")
                guard words.count == 2, let code = Int(words[1]) else { continue }
                results[service, default: [:]][String(words[0])] = code
            }
            return results
        }

        static let forbidden = ["keyctl", "add_key", "unshare", "personality", "perf_event_open", "open_by_handle_at"]

        @Test func theDefaultProfileRefusesWhatDockersRefusesAndServicesCanLoosenIt() async throws {
            try await withDaemon { daemon in
                try await BusyboxImage.load(into: daemon)
                let name = "sc\(daemon.prefix.dropFirst(5))"
                let directory = try writeProject(
                    daemon,
                    """
                    name: \(name)
                    x-probe: &probe
                      image: busybox
                      volumes: [./probe:/probe:ro]
                      command: ["/probe"]
                    services:
                      confined: *probe
                      loose:
                        <<: *probe
                        security_opt: [seccomp=unconfined]
                      admin:
                        <<: *probe
                        cap_add: [SYS_ADMIN]
                      privileged:
                        <<: *probe
                        privileged: true
                      own:
                        <<: *probe
                        security_opt: ["seccomp=own.json"]
                    """)
                try await Self.buildProbe(in: directory)
                try
                    #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#
                    .write(toFile: directory + "/own.json", atomically: true, encoding: .utf8)
                try await daemon.berthOK(["up", "-d", "--progress", "quiet"], in: directory)
                _ = try await daemon.berthOK(
                    ["wait", "confined", "loose", "admin", "privileged", "own"], in: directory)
                let logs = try await daemon.berthOK(["logs", "--no-color"], in: directory)
                let results = Self.results(logs.stdout)
                for call in Self.forbidden {
                    #expect(results["confined"]?[call] == 1, "\(call) must fail with EPERM: \(logs.stdout)")
                }
                #expect(results["loose"]?["keyctl"] == 0 && results["loose"]?["personality"] == 0, "\(logs.stdout)")
                #expect(results["privileged"]?["unshare"] == 0 && results["privileged"]?["keyctl"] == 0)
                // CAP_SYS_ADMIN brings unshare back (the profile's capability rule), not keyctl.
                #expect(results["admin"]?["unshare"] == 0 && results["admin"]?["keyctl"] == 1, "\(logs.stdout)")
                #expect(results["own"]?["keyctl"] == 38 && results["own"]?["unshare"] == 0, "\(logs.stdout)")
                try await Self.compareWithDocker(directory: directory, berth: results["confined"] ?? [:])
                try await daemon.berthOK(["down"], in: directory)
            }
        }

        /// The same probe under `docker run`, when dockerd answers here
        /// (`../shared/tools/anchors up`): the same errnos.
        static func compareWithDocker(directory: String, berth: [String: Int]) async throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/docker"),
                try await run(["docker", "info"], timeout: 20).status == 0
            else { return }
            let docker = try await run(
                [
                    "docker", "run", "--rm", "--network", "none", "-v", directory + "/probe:/probe:ro", "busybox",
                    "/probe",
                ],
                timeout: 60)
            guard docker.status == 0 else { return }
            let theirs = results(docker.stdout.split(separator: "\n").map { "confined|" + $0 }.joined(separator: "\n"))
            #expect(theirs["confined"] == berth, "docker: \(docker.stdout)")
        }
    }
}
