import BerthModel
import Foundation
import Glibc
import HostOS
import TestSupport
import Testing

@testable import Registry

/// docker's config.json: read as docker reads it, written so docker still reads it.
@Suite struct DockerConfigTests {
    static let written = """
        {
          "auths": {
            "https://index.docker.io/v1/": {"auth": "\(Data("hubuser:hub:pass".utf8).base64EncodedString())"},
            "registry.example:5000": {"auth": "\(Data("u:".utf8).base64EncodedString())", "identitytoken": "refresh-me"},
            "http://old.example": {"username": "legacy", "password": "pw"}
          },
          "credHelpers": {"ghcr.io": "fake"},
          "psFormat": "table {{.Names}}",
          "proxies": {"default": {"httpProxy": "http://proxy:3128"}}
        }
        """

    @Test func readsAuthsAsDockerDoes() async throws {
        try await withScratchDirectory { scratch in
            try scratch.write("config.json", Self.written)
            let credentials = DockerCredentials(directory: scratch.path, helperSearchPath: [scratch.path])
            #expect(
                try await credentials.credentials(forRegistry: "docker.io")
                    == .basic(username: "hubuser", password: "hub:pass"), "the password may hold a colon")
            #expect(
                try await credentials.credentials(forRegistry: "registry.example:5000")
                    == .identityToken(username: "u", token: "refresh-me"))
            #expect(
                try await credentials.credentials(forRegistry: "old.example")
                    == .basic(username: "legacy", password: "pw"),
                "a key written as a URL matches its host")
            #expect(try await credentials.credentials(forRegistry: "quay.io") == nil)
        }
    }

    @Test func aMissingOrEmptyFileIsAnEmptyConfiguration() async throws {
        try await withScratchDirectory { scratch in
            let credentials = DockerCredentials(directory: scratch.path)
            #expect(try await credentials.credentials(forRegistry: "docker.io") == nil)
            try scratch.write("config.json", "\n")
            #expect(try await credentials.credentials(forRegistry: "docker.io") == nil)
            try scratch.write("config.json", "[1]")
            await #expect(throws: BerthError.self) { try await credentials.credentials(forRegistry: "docker.io") }
        }
    }

    @Test func loginAndLogoutKeepEveryOtherKey() async throws {
        try await withScratchDirectory { scratch in
            try scratch.write("config.json", Self.written)
            let credentials = DockerCredentials(directory: scratch.path)
            try await credentials.store(.basic(username: "me", password: "secret"), forRegistry: "localhost:5000")
            var info = stat()
            #expect(stat(scratch.path("config.json"), &info) == 0 && info.st_mode & 0o777 == 0o600)
            let after = try DockerConfig.load(directory: scratch.path)
            #expect(after.document["psFormat"] == .string("table {{.Names}}"))
            #expect(after.document["proxies"]?.object?["default"] != nil)
            #expect(after.authEntry(for: "localhost:5000")?.auth == Data("me:secret".utf8).base64EncodedString())
            #expect(
                try await credentials.credentials(forRegistry: "localhost:5000")
                    == .basic(username: "me", password: "secret"))

            #expect(try await credentials.erase(forRegistry: "localhost:5000"))
            #expect(try await credentials.credentials(forRegistry: "localhost:5000") == nil)
            #expect(try await !credentials.erase(forRegistry: "localhost:5000"), "nothing left to forget")
            #expect(try await credentials.credentials(forRegistry: "docker.io") != nil, "others stay")
        }
    }

    @Test func loginMakesTheDirectoryAndTheFile() async throws {
        try await withScratchDirectory { scratch in
            let directory = scratch.path("nested/.docker")
            try await DockerCredentials(directory: directory).store(
                .basic(username: "a", password: "b"), forRegistry: "docker.io")
            let text = String(decoding: try #require(try AtomicFile.read(directory + "/config.json")), as: UTF8.self)
            #expect(text.contains("\"https://index.docker.io/v1/\""))
        }
    }

    @Test func theDirectoryIsDockerConfigOrHome() {
        #expect(DockerConfig.directory(environment: ["DOCKER_CONFIG": "/etc/dc", "HOME": "/h"]) == "/etc/dc")
        #expect(DockerConfig.directory(environment: ["HOME": "/home/me"]) == "/home/me/.docker")
    }
}

/// docker's credential-helper protocol, against a helper script that keeps
/// its secrets in a file beside it.
@Suite struct CredentialHelperTests {
    /// `docker-credential-fake`: get/store/erase over a JSON file, as the real helpers behave.
    static let helper = """
        #!/usr/bin/env python3
        import json, os, sys
        store = os.path.join(os.path.dirname(os.path.abspath(__file__)), "secrets.json")
        data = json.load(open(store)) if os.path.exists(store) else {}
        verb, given = sys.argv[1], sys.stdin.read()
        with open(store + ".log", "a") as log:
            log.write(verb + " " + given.strip() + "\\n")
        if verb == "get":
            if given not in data:
                print("credentials not found in native keychain"); sys.exit(1)
            print(json.dumps({"ServerURL": given, "Username": data[given][0], "Secret": data[given][1]}))
        elif verb == "store":
            record = json.loads(given); data[record["ServerURL"]] = [record["Username"], record["Secret"]]
            json.dump(data, open(store, "w"))
        elif verb == "erase":
            if given not in data:
                print("credentials not found in native keychain"); sys.exit(1)
            del data[given]; json.dump(data, open(store, "w"))
        else:
            sys.exit(2)
        """

    @Test func getStoreEraseThroughTheHelper() async throws {
        try await withScratchDirectory { scratch in
            try scratch.write("docker-credential-fake", Self.helper, mode: 0o755)
            try scratch.write("config.json", #"{"credsStore": "fake", "auths": {}}"#)
            let credentials = DockerCredentials(directory: scratch.path, helperSearchPath: [scratch.path])
            #expect(try await credentials.credentials(forRegistry: "docker.io") == nil, "not found is no credentials")

            try await credentials.store(.basic(username: "me", password: "pw"), forRegistry: "docker.io")
            #expect(
                try await credentials.credentials(forRegistry: "docker.io") == .basic(username: "me", password: "pw"))
            let config = try DockerConfig.load(directory: scratch.path)
            #expect(config.authEntry(for: "https://index.docker.io/v1/")?.auth == nil, "the secret is the helper's")

            try await credentials.store(.identityToken(username: "", token: "tok"), forRegistry: "ghcr.io")
            #expect(
                try await credentials.credentials(forRegistry: "ghcr.io") == .identityToken(username: "", token: "tok"))

            #expect(try await credentials.erase(forRegistry: "docker.io"))
            #expect(try await credentials.credentials(forRegistry: "docker.io") == nil)
            let log = String(
                decoding: try #require(try AtomicFile.read(scratch.path("secrets.json.log"))), as: UTF8.self)
            #expect(log.hasPrefix("get https://index.docker.io/v1/\n"), "the server URL on stdin, as docker sends it")
        }
    }

    @Test func credHelpersWinOverCredsStoreForTheirRegistry() async throws {
        try await withScratchDirectory { scratch in
            try scratch.write("docker-credential-fake", Self.helper, mode: 0o755)
            try scratch.write("secrets.json", #"{"ghcr.io": ["gh", "ghp_x"]}"#)
            try scratch.write("config.json", #"{"credsStore": "missing", "credHelpers": {"ghcr.io": "fake"}}"#)
            let credentials = DockerCredentials(directory: scratch.path, helperSearchPath: [scratch.path])
            #expect(
                try await credentials.credentials(forRegistry: "ghcr.io") == .basic(username: "gh", password: "ghp_x"))
            await #expect {
                try await credentials.credentials(forRegistry: "quay.io")
            } throws: { error in
                (error as? BerthError)?.code == .credentialHelper
                    && "\(error)".contains("docker-credential-missing")
            }
        }
    }
}
