import BerthModel
import DaemonAPI
import Foundation
import TestSupport
import Testing

/// berthd's keys of daemon.json: read beside everyone else's.
struct DaemonSettingsTests {
    @Test func itsKeysAreReadAndOthersIgnored() throws {
        try withScratchDirectory(prefix: "berth-settings") { directory in
            try directory.write(
                "daemon.json",
                """
                {"root": "/srv/berth", "socket": "/run/b.sock", "name-prefix": "berthx", "subnet-pool": "10.9.0.0/16/24",
                 "registry-mirrors": ["https://m.example"], "log-driver": "json-file", "log-opts": {"max-size": "10m"}}
                """)
            let settings = try DaemonSettings.load(path: directory.path + "/daemon.json")
            #expect(
                settings
                    == DaemonSettings(
                        root: "/srv/berth", socket: "/run/b.sock", namePrefix: "berthx", subnetPool: "10.9.0.0/16/24"))
        }
    }

    @Test func dockersDataRootIsTheRootAndAMissingFileIsNoSettings() throws {
        try withScratchDirectory(prefix: "berth-settings") { directory in
            try directory.write("daemon.json", #"{"data-root": "/data/berth"}"#)
            #expect(try DaemonSettings.load(path: directory.path + "/daemon.json").root == "/data/berth")
            #expect(try DaemonSettings.load(path: directory.path + "/none.json") == DaemonSettings())
        }
    }

    @Test func aKeyOfTheWrongTypeNamesTheFile() throws {
        try withScratchDirectory(prefix: "berth-settings") { directory in
            try directory.write("daemon.json", #"{"root": 5}"#)
            let path = directory.path + "/daemon.json"
            let error = try #require(throws: BerthError.self) { try DaemonSettings.load(path: path) }
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains(path))
        }
    }
}
