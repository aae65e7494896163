import BerthModel
import Testing

@testable import Builder

@Suite("Stage planning: expansion, ARG scope, RUN and COPY resolved")
struct StagePlannerTests {
    @Test func expansionUsesTheValuesBeforeTheInstruction() throws {
        let stage = try plan("FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n").result
        #expect(Array(stage.config.config.env.dropFirst()) == ["abc=bye", "def=hello", "ghi=bye"])
    }

    @Test func onlyTheBuilderExpandingInstructionsExpand() throws {
        let text = """
            FROM busybox
            ENV FOO=/bar
            WORKDIR ${FOO}
            ADD . $FOO
            COPY \\$FOO /quux
            RUN echo $FOO
            CMD echo $FOO
            USER ${FOO#/}:${NOPE:-staff}
            STOPSIGNAL ${SIG:-SIGINT}
            VOLUME $FOO/data
            """
        let stage = try plan(text).result
        #expect(stage.config.config.workingDir == "/bar")
        #expect(copyStep(stage, 2)?.destination == "/bar")
        #expect(copyStep(stage, 3)?.sources == [.path("$FOO")])
        #expect(runStep(stage, 4)?.arguments == ["/bin/sh", "-c", "echo $FOO"])
        #expect(stage.config.config.cmd == ["/bin/sh", "-c", "echo $FOO"])
        #expect(stage.config.config.user == "bar:staff")
        #expect(stage.config.config.stopSignal == "SIGINT")
        #expect(stage.config.config.volumes == ["/bar/data"])
    }

    @Test func argsAreScopedPerStageAndFromTheirDeclaration() throws {
        let text = """
            ARG username=global
            ARG TAG=1
            FROM busybox
            USER ${username:-some_user}
            ARG username
            USER $username
            ARG TARGETARCH
            ARG undefined
            RUN echo $username
            FROM busybox
            COPY --from=0 /x /y
            RUN echo other
            """
        let options = BuildOptions(buildArgs: ["username": "what_user"])
        let stages = try plan(text, options: options, images: testImages()).stages
        let first = try #require(stages.first { $0.index == 0 })
        #expect(
            createdBy(first).prefix(4) == [
                "USER some_user", "ARG username=what_user", "USER what_user",
                "ARG TARGETARCH=\(Platform.host.architecture)",
            ])
        let run = try #require(runStep(first, 5))
        #expect(run.environment["username"] == "what_user")
        #expect(run.environment["undefined"] == nil)
        #expect(
            createdBy(first).last
                == "+ RUN |3 username=what_user TARGETARCH=\(Platform.host.architecture) undefined= /bin/sh -c echo $username # buildkit"
        )
        let other = try #require(stages.first { $0.index == 1 })
        #expect(runStep(other, 1)?.environment["username"] == nil)
        #expect(createdBy(other) == ["+ COPY /x /y # buildkit", "+ RUN /bin/sh -c echo other # buildkit"])
    }

    @Test func aGlobalArgRedeclaredWithoutValueTakesTheGlobalValue() throws {
        let stage = try plan("ARG VERSION=latest\nFROM busybox\nARG VERSION\nRUN echo $VERSION\n").result
        #expect(runStep(stage, 1)?.environment["VERSION"] == "latest")
    }

    @Test func proxyArgsReachRunButNeitherHistoryNorEnvironmentUnlessDeclared() throws {
        let options = BuildOptions(buildArgs: ["HTTP_PROXY": "http://proxy:3128", "no_proxy": "localhost"])
        let plain = try plan("FROM busybox\nRUN wget x\n", options: options).result
        let run = try #require(runStep(plain, 0))
        #expect(run.environment["HTTP_PROXY"] == nil)
        #expect(run.proxyEnvironment.environment == ["HTTP_PROXY=http://proxy:3128", "no_proxy=localhost"])
        #expect(createdBy(plain) == ["+ RUN /bin/sh -c wget x # buildkit"])
        let declared = try plan("FROM busybox\nARG HTTP_PROXY\nRUN wget x\n", options: options).result
        #expect(runStep(declared, 1)?.environment["HTTP_PROXY"] == "http://proxy:3128")
        #expect(runStep(declared, 1)?.proxyEnvironment.environment == ["no_proxy=localhost"])
        #expect(createdBy(declared).last == "+ RUN |1 HTTP_PROXY=http://proxy:3128 /bin/sh -c wget x # buildkit")
    }

    @Test func unusedBuildArgsAreNoted() throws {
        let built = try plan(
            "ARG G\nFROM busybox\nARG USED\n", options: BuildOptions(buildArgs: ["USED": "1", "G": "2", "NOPE": "3"]))
        #expect(built.notes.map(\.description) == ["Dockerfile: build args no ARG declares were ignored: NOPE"])
    }

    @Test func runHeredocsRunTheirBodyOrHandTheShellTheWholeText() throws {
        let text = """
            FROM busybox
            RUN <<EOF
            echo one
            echo two
            EOF
            RUN <<-EOF
            \t#!/usr/bin/env python3
            \tprint("hi")
            \tEOF
            RUN <<EOF bash
            set -e
            EOF
            RUN cat <<A >a && cat <<B >b
            first
            A
            second
            B
            """
        let stage = try plan(text).result
        #expect(runStep(stage, 0)?.arguments == ["/bin/sh", "-c", "echo one\necho two\n"])
        #expect(stage.steps[0].name == "RUN <<EOF (echo one...)")
        #expect(stage.steps[0].failurePrefix == "Dockerfile:2: RUN <<EOF (echo one...)")
        #expect(runStep(stage, 1)?.arguments == ["/bin/sh", "-c", "/dev/pipes/EOF"])
        #expect(
            runStep(stage, 1)?.inlineFiles == [
                InlineFile(path: "/dev/pipes/EOF", content: "#!/usr/bin/env python3\nprint(\"hi\")\n", mode: 0o755)
            ])
        #expect(runStep(stage, 2)?.arguments == ["/bin/sh", "-c", "<<EOF bash\nset -e\nEOF"])
        #expect(runStep(stage, 3)?.arguments == ["/bin/sh", "-c", "cat <<A >a && cat <<B >b\nfirst\nA\nsecond\nB"])
        #expect(createdBy(stage)[0] == "+ RUN /bin/sh -c echo one\necho two\n # buildkit")
    }

    @Test func copyHeredocsExpandUnlessQuotedAndDestinationsResolve() throws {
        let text = """
            FROM busybox
            ARG FOO=bar
            WORKDIR /srv
            COPY <<-EOT /script.sh
            \techo "hello ${FOO}"
            EOT
            COPY <<"EOT" rel/
            echo "hello ${FOO}"
            EOT
            COPY a b sub/.
            ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x.tgz ../up
            COPY --from=busybox --parents --chmod=u=rwX,go=rX /etc/./passwd /
            """
        let stage = try plan(text).result
        #expect(copyStep(stage, 2)?.sources == [.inline(name: "EOT", content: "echo \"hello bar\"\n")])
        #expect(copyStep(stage, 3)?.sources == [.inline(name: "EOT", content: "echo \"hello ${FOO}\"\n")])
        #expect(copyStep(stage, 3)?.destination == "/srv/rel/")
        #expect(copyStep(stage, 4)?.destination == "/srv/sub/.")
        let add = try #require(copyStep(stage, 5))
        #expect(add.isAdd && add.destination == "/up")
        #expect(add.unpacksLocalArchives && !add.unpacksDownloads)
        #expect(copyStep(stage, 4)?.unpacksLocalArchives == false)
        #expect(
            add.sources == [
                .url(
                    "https://example.com/x.tgz",
                    checksum: "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d")
            ])
        let fromImage = try #require(copyStep(stage, 6))
        #expect(fromImage.origin == .image("busybox") && fromImage.parents && fromImage.chmod == "u=rwX,go=rX")
        #expect(
            createdBy(stage)[2...] == [
                "+ COPY <<EOT /script.sh # buildkit", "+ COPY <<EOT rel/ # buildkit", "+ COPY a b sub/. # buildkit",
                "+ ADD https://example.com/x.tgz ../up # buildkit",
                "+ COPY --parents --chmod=u=rwX,go=rX /etc/./passwd / # buildkit",
            ])
    }

    @Test func mountsResolveTheirTargetsOriginsAndIds() throws {
        let text = """
            FROM busybox AS tools
            FROM busybox
            WORKDIR /w
            RUN --mount=type=cache,target=.cache --mount=type=secret,id=aws --mount=type=bind,from=tools,source=/bin,target=/t --mount=type=bind,target=/ctx,source=src --mount=type=tmpfs,target=/tmp,size=64m --mount=type=secret,id=tok,env=TOKEN true
            """
        let mounts = try #require(runStep(try plan(text).result, 1)).mounts
        #expect(mounts.map(\.target) == ["/w/.cache", "/run/secrets/aws", "/t", "/ctx", "/tmp", ""])
        #expect(mounts.map(\.origin) == [.empty, .empty, .stage(0), .context, .empty, .empty])
        #expect(mounts.map(\.id) == [".cache", "aws", nil, nil, nil, "tok"])
        #expect(mounts.map(\.sourcePath) == ["/", "/", "/bin", "/src", "/", "/"])
        #expect(mounts.map(\.mount.readOnly) == [false, true, true, true, false, true])
        #expect(mounts[4].mount.sizeLimit == 64 << 20)
        #expect(mounts[5].mount.env == "TOKEN")
    }

    @Test(arguments: [
        ("COPY ../secret /x", "Dockerfile:2: COPY: ../secret: the path is outside the build context"),
        (
            "ADD https://github.com/moby/buildkit.git#v0.14 /src",
            "Dockerfile:2: ADD: https://github.com/moby/buildkit.git#v0.14: adding a git repository is not supported; clone it in a RUN"
        ),
        (
            "COPY https://example.com/x /x",
            "Dockerfile:2: COPY: https://example.com/x: COPY cannot fetch a URL; use ADD"
        ),
        (
            "ADD --checksum=sha256:abc https://example.com/x /x",
            "Dockerfile:2: ADD: --checksum=sha256:abc: expected sha256: and 64 hex digits"
        ),
        (
            "ADD --checksum=sha256:\(String(repeating: "a", count: 64)) local /x",
            "Dockerfile:2: ADD: --checksum needs exactly one source, an http(s) URL"
        ),
        (
            "COPY --chmod=999 a /",
            "Dockerfile:2: COPY: --chmod=999: expected an octal mode up to 7777 or a symbolic one like u=rwX,go=rX"
        ),
        ("STOPSIGNAL SIGNOPE", "Dockerfile:2: STOPSIGNAL: SIGNOPE is not a signal (like SIGTERM or 15)"),
        ("EXPOSE 80/ipx", "Dockerfile:2: EXPOSE: invalid port 80/ipx: unknown protocol ipx (tcp, udp or sctp)"),
        ("EXPOSE 70000", "Dockerfile:2: EXPOSE: invalid port 70000: 70000 is out of range (0-65535)"),
        ("WORKDIR ${DIR:?set DIR}", "Dockerfile:2: WORKDIR: cannot expand ${DIR:?set DIR}: DIR: set DIR"),
        (
            "RUN --mount=type=ssh true",
            "Dockerfile:2: RUN: --mount=type=ssh: type=ssh is not supported: Berth forwards no SSH agent to builds"
        ),
        (
            "RUN --mount=type=cahce,target=/x true",
            "Dockerfile:2: RUN: --mount=type=cahce,target=/x: unsupported mount type \"cahce\"; did you mean cache?"
        ),
        (
            "RUN --mount=type=cache,taget=/x true",
            "Dockerfile:2: RUN: --mount=type=cache,taget=/x: unknown key 'taget'; did you mean target?"
        ),
        (
            "RUN --mount=type=bind,target=/x,mode=0700 true",
            "Dockerfile:2: RUN: --mount=type=bind,target=/x,mode=0700: mode is not allowed for bind mounts"
        ),
        ("RUN --mount=type=cache true", "Dockerfile:2: RUN: --mount=type=cache: a target is needed"),
        (
            "RUN --mount=type=tmpfs,target=/ true",
            "Dockerfile:2: RUN: --mount=type=tmpfs,target=/: the target cannot be /"
        ),
        (
            "RUN --mount=type=secret,source=a,id=b true",
            "Dockerfile:2: RUN: --mount=type=secret,source=a,id=b: a secret mount takes source or id, not both"
        ),
    ])
    func badValuesAreNamedWithTheirLine(_ line: String, _ message: String) {
        #expect(errorMessage { _ = try plan("FROM busybox\n" + line + "\n") } == message)
    }

    @Test func errorCodesSayWhatKindOfProblem() {
        #expect(errorCode { _ = try plan("FROM busybox\nCOPY ../x /x\n") } == .buildContext)
        #expect(errorCode { _ = try plan("FROM busybox\nADD git@github.com:a/b.git /b\n") } == .unsupported)
        #expect(errorCode { _ = try plan("FROM busybox\nRUN --mount=type=ssh true\n") } == .unsupported)
        #expect(errorCode { _ = try plan("FROM busybox\nEXPOSE x\n") } == .invalidDockerfile)
        #expect(
            errorMessage { _ = try plan("FROM busybox\n", images: [:]) }
                == "Dockerfile:1: FROM: image busybox was not resolved for this build")
    }
}
