import BerthModel
import Foundation
import Testing

/// The codes travel over berthd's socket as their spellings, and scripts
/// may match them: a spelling never changes, and none is taken twice.
@Suite("BerthError codes")
struct BerthErrorCodeTests {
    /// Every code of `BerthError+Codes.swift` and the spelling it had when
    /// it was introduced; a new code is added here too.
    static let spellings: [(BerthError.Code, String)] = [
        (.unreadableFile, "unreadable-file"), (.yamlSyntax, "yaml-syntax"), (.invalidCompose, "invalid-compose"),
        (.interpolation, "interpolation"), (.cycle, "cycle"), (.noComposeFile, "no-compose-file"),
        (.usage, "usage"), (.permission, "permission"), (.unwritableFile, "unwritable-file"),
        (.invalidArgument, "invalid-argument"), (.invalidName, "invalid-name"),
        (.invalidReference, "invalid-reference"), (.invalidSpec, "invalid-spec"), (.unsupported, "unsupported"),
        (.notFound, "not-found"), (.alreadyExists, "already-exists"), (.inUse, "in-use"),
        (.invalidState, "invalid-state"), (.timeout, "timeout"), (.cancelled, "cancelled"),
        (.addressTaken, "address-taken"), (.addressUnavailable, "address-unavailable"), (.bind, "bind"),
        (.cgroupSetup, "cgroup-setup"), (.command, "command"), (.digestMismatch, "digest-mismatch"),
        (.exhausted, "exhausted"), (.host, "host"), (.invalidArchive, "invalid-archive"), (.io, "io"),
        (.overlap, "overlap"), (.runtime, "runtime"), (.state, "state"), (.system, "system"),
        (.unknownUser, "unknown-user"),
        (.invalidDockerfile, "invalid-dockerfile"), (.buildContext, "build-context"),
        (.dependencyFailed, "dependency-failed"), (.executionFailed, "execution-failed"),
        (.daemonUnreachable, "daemon-unreachable"), (.daemonAccessDenied, "daemon-access-denied"),
        (.daemonConnectionLost, "daemon-connection-lost"), (.daemonProtocol, "daemon-protocol"),
        (.daemonSocket, "daemon-socket"), (.daemonAlreadyRunning, "daemon-already-running"),
        (.daemonBusy, "daemon-busy"),
        (.daemonRequestTooLarge, "daemon-request-too-large"), (.daemonInvalidRequest, "invalid-request"),
        (.daemonInternal, "internal"),
    ]

    @Test func spellingsAreStable() {
        for (code, spelling) in Self.spellings {
            #expect(code.rawValue == spelling)
        }
    }

    @Test func noSpellingIsTakenTwice() {
        #expect(Set(Self.spellings.map(\.1)).count == Self.spellings.count)
    }

    @Test func aCodeTravelsAsItsSpelling() throws {
        let error = BerthError(.invalidState, "container web-1 is not running")
        let json = try JSONEncoder().encode(error)
        #expect(String(decoding: json, as: UTF8.self).contains(#""code":"invalid-state""#))
        #expect(try JSONDecoder().decode(BerthError.self, from: json) == error)
    }
}
