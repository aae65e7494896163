import BerthModel
import DaemonAPI
import Testing

/// The session's wire: frames survive any split of the byte stream, resize
/// and signal payloads are exact, and a broken peer is an error, not a crash.
struct SessionFrameTests {
    let sample: [SessionFrame] = [
        .input(Array("echo hi\r".utf8)), .endOfInput, .resize(WindowSize(rows: 40, columns: 132)),
        .signal(2), .stdout([0, 1, 2, 255]), .stderr(Array("oops\n".utf8)), .exit(-1), .exit(127),
        .error(BerthError(.notFound, "no such service: web")), .input([]),
    ]

    @Test func roundTripsWhole() throws {
        var decoder = SessionFrameDecoder()
        let bytes = sample.flatMap { $0.encoded() }
        #expect(try decoder.frames(appending: bytes) == sample)
        #expect(decoder.pendingBytes == 0)
    }

    @Test func roundTripsByteByByte() throws {
        var decoder = SessionFrameDecoder()
        var frames: [SessionFrame] = []
        for byte in sample.flatMap({ $0.encoded() }) {
            frames += try decoder.frames(appending: [byte])
        }
        #expect(frames == sample)
    }

    @Test func roundTripsAtEverySplit() throws {
        let bytes = sample.flatMap { $0.encoded() }
        for cut in 0...bytes.count {
            var decoder = SessionFrameDecoder()
            let frames = try decoder.frames(appending: bytes[..<cut]) + decoder.frames(appending: bytes[cut...])
            #expect(frames == sample, "split at \(cut)")
        }
    }

    @Test func resizeIsRowsThenColumnsBigEndian() {
        #expect(
            SessionFrame.resize(WindowSize(rows: 0x0102, columns: 0x0304)).encoded() == [3, 0, 0, 0, 4, 1, 2, 3, 4])
        #expect(SessionFrame.signal(15).encoded() == [4, 0, 0, 0, 4, 0, 0, 0, 15])
        #expect(SessionFrame.exit(3).encoded() == [0x13, 0, 0, 0, 4, 0, 0, 0, 3])
    }

    @Test func largeOutputKeepsEveryByte() throws {
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var decoder = SessionFrameDecoder()
        var got: [UInt8] = []
        let bytes = SessionFrame.stdout(payload).encoded()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 4093)
            for frame in try decoder.frames(appending: bytes[offset..<end]) {
                if case .stdout(let chunk) = frame { got += chunk }
            }
            offset = end
        }
        #expect(got == payload)
    }

    @Test func unknownKindIsAProtocolError() {
        var decoder = SessionFrameDecoder()
        #expect(throws: BerthError.self) { try decoder.frames(appending: [0x7f, 0, 0, 0, 0]) }
    }

    @Test func shortResizeIsAProtocolError() {
        var decoder = SessionFrameDecoder()
        #expect(throws: BerthError.self) { try decoder.frames(appending: [3, 0, 0, 0, 2, 0, 24]) }
    }

    @Test func hugeLengthIsRefusedBeforeBuffering() {
        var decoder = SessionFrameDecoder()
        #expect(throws: BerthError.self) { try decoder.frames(appending: [1, 0x7f, 0xff, 0xff, 0xff]) }
    }
}

/// Detach keys: docker's notation, and a matcher that holds a possible
/// start of the sequence back however the reads split it.
struct DetachKeyTests {
    @Test func parsesDockerNotation() throws {
        #expect(try DetachKeys(parsing: "ctrl-p,ctrl-q").bytes == [16, 17])
        #expect(try DetachKeys(parsing: "ctrl-a").bytes == [1])
        #expect(
            try DetachKeys(parsing: "a,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").bytes == [
                97, 0, 27, 28, 29, 30, 31,
            ])
        #expect(try DetachKeys(parsing: "ctrl-P,x").bytes == [16, 120])
    }

    @Test func refusesWhatIsNotAKey() {
        for text in ["", "ctrl-", "ctrl-1", "ab", "ctrl-p,,ctrl-q", "shift-a"] {
            #expect(throws: BerthError.self, "\(text)") { try DetachKeys(parsing: text) }
        }
    }

    @Test func detachesOnTheWholeSequenceInOneRead() {
        var matcher = DetachKeyMatcher(.standard)
        let result = matcher.feed(Array("ls".utf8) + [16, 17] + Array("dropped".utf8))
        #expect(result.forward == Array("ls".utf8))
        #expect(result.detached)
    }

    @Test func detachesWhenKeysArriveInSeparateReads() {
        var matcher = DetachKeyMatcher(.standard)
        let first = matcher.feed(Array("a".utf8) + [16])
        #expect(first.forward == Array("a".utf8))
        #expect(!first.detached)
        let second = matcher.feed([17])
        #expect(second.forward == [])
        #expect(second.detached)
    }

    @Test func aPartialSequenceIsPassedOnWhenBroken() {
        var matcher = DetachKeyMatcher(.standard)
        #expect(matcher.feed([16]).forward == [])
        let broken = matcher.feed(Array("x".utf8))
        #expect(broken.forward == [16] + Array("x".utf8))
        #expect(!broken.detached)
    }

    @Test func aRepeatedFirstKeyStillMatches() {
        var matcher = DetachKeyMatcher(.standard)
        let result = matcher.feed([16, 16, 17])
        #expect(result.forward == [16])
        #expect(result.detached)
    }

    @Test func overlappingSequencesMatchLikeASearch() throws {
        var matcher = DetachKeyMatcher(try DetachKeys(parsing: "a,a,b"))
        var forward: [UInt8] = []
        var detached = false
        for byte in Array("xaaab".utf8) {
            let result = matcher.feed([byte])
            forward += result.forward
            detached = detached || result.detached
        }
        #expect(forward == Array("xa".utf8))
        #expect(detached)
    }

    @Test func flushGivesBackWhatWasHeld() {
        var matcher = DetachKeyMatcher(.standard)
        #expect(matcher.feed([16]).forward == [])
        #expect(matcher.flush() == [16])
        #expect(matcher.flush() == [])
    }
}
