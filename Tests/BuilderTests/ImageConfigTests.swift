import BerthModel
import Foundation
import Testing

@testable import Builder

private let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

private let everything = """
    FROM busybox
    ARG VERSION=1
    ENV APP=/app PATH=/app/bin:$PATH
    LABEL org.example.v=$VERSION "other label"="x y"
    WORKDIR $APP
    COPY --chown=1000:1000 . .
    RUN make
    USER app
    EXPOSE 80 8000-8001/udp
    VOLUME /data
    STOPSIGNAL SIGQUIT
    HEALTHCHECK --interval=30s --retries=3 CMD wget -q -O- localhost
    SHELL ["/bin/ash", "-c"]
    CMD ["./server"]
    ENTRYPOINT ["/entry"]
    ONBUILD RUN echo child
    MAINTAINER me
    """

@Suite("Image config and history, as docker writes them")
struct ImageConfigTests {
    @Test func everyInstructionLandsInTheConfigAndTheHistory() throws {
        let stage = try plan(everything).result
        #expect(
            createdBy(stage) == [
                "ARG VERSION=1",
                "ENV APP=/app PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LABEL org.example.v=1 other label=x y",
                "+ WORKDIR /app",
                "+ COPY --chown=1000:1000 . . # buildkit",
                "+ RUN |1 VERSION=1 /bin/sh -c make # buildkit",
                "USER app",
                "EXPOSE [80/tcp 8000/udp 8001/udp]",
                "VOLUME [/data]",
                "STOPSIGNAL SIGQUIT",
                "HEALTHCHECK {Test:[CMD-SHELL wget -q -O- localhost] Interval:30s Timeout:0s StartPeriod:0s StartInterval:0s Retries:3}",
                "SHELL [/bin/ash -c]",
                #"CMD ["./server"]"#,
                #"ENTRYPOINT ["/entry"]"#,
                "MAINTAINER me",
            ])
        #expect(stage.config.history.dropFirst().allSatisfy { $0.comment == "buildkit.dockerfile.v0" })
        let config = stage.config.config
        #expect(
            config.env == ["PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP=/app"])
        #expect(config.labels == ["org.example.v": "1", "other label": "x y"])
        #expect(config.workingDir == "/app")
        #expect(config.user == "app")
        #expect(config.exposedPorts == ["80/tcp", "8000/udp", "8001/udp"])
        #expect(config.volumes == ["/data"])
        #expect(config.stopSignal == "SIGQUIT")
        var healthcheck = HealthcheckConfig(test: ["CMD-SHELL", "wget -q -O- localhost"])
        healthcheck.interval = 30_000_000_000
        healthcheck.retries = 3
        #expect(config.healthcheck == healthcheck)
        #expect(config.shell == ["/bin/ash", "-c"])
        #expect(config.cmd == ["./server"])
        #expect(config.entrypoint == ["/entry"])
        #expect(config.argsEscaped == true)
        #expect(config.onBuild == ["RUN echo child"])
        #expect(stage.config.author == "me")
        #expect(stage.steps.map(\.historyIndex) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, nil, 15])
    }

    @Test func runSeesTheEnvironmentWorkdirAndUserInScope() throws {
        let stage = try plan(everything).result
        let run = try #require(runStep(stage, 5))
        #expect(run.arguments == ["/bin/sh", "-c", "make"])
        #expect(
            run.environment.environment == [
                "PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "VERSION=1", "APP=/app",
            ])
        #expect(run.workingDirectory == "/app")
        #expect(run.user == nil)
        #expect(stage.steps[3].operation == .makeDirectory(path: "/app", user: nil))
        let copy = try #require(copyStep(stage, 4))
        #expect(copy.destination == "/app/")
        #expect(copy.sources == [.path(".")])
        #expect(copy.chown == "1000:1000")
    }

    @Test func entrypointDropsTheBasesCmdUnlessTheStageSetsOne() throws {
        #expect(try plan("FROM busybox\nENTRYPOINT [\"x\"]\n").result.config.config.cmd == nil)
        #expect(try plan("FROM busybox\nCMD [\"y\"]\nENTRYPOINT [\"x\"]\n").result.config.config.cmd == ["y"])
        #expect(try plan("FROM busybox\nENTRYPOINT x\n").result.config.config.entrypoint == ["/bin/sh", "-c", "x"])
        #expect(try plan("FROM busybox\nCMD echo $HOME\n").result.config.config.cmd == ["/bin/sh", "-c", "echo $HOME"])
    }

    @Test func scratchStartsWithAPathAndTheRoot() throws {
        let stage = try plan("FROM scratch\nCOPY a /\n").result
        #expect(stage.config.config.env == [path])
        #expect(stage.config.config.workingDir == "/")
        #expect(stage.config.os == "linux")
        #expect(createdBy(stage, after: 0) == ["+ COPY a / # buildkit"])
        #expect(try plan("FROM scratch\nWORKDIR /\n").result.config.history.map(\.emptyLayer) == [true])
    }

    @Test func anImageWithoutPathGetsOneAndItsWorkdirAndUserApply() throws {
        let stage = try plan("FROM tools\nRUN ls\nCOPY x y\n").result
        #expect(stage.config.config.env == [path])
        let run = try #require(runStep(stage, 0))
        #expect(run.workingDirectory == "/tools")
        #expect(run.user == "tooler")
        #expect(copyStep(stage, 1)?.destination == "/tools/y")
    }

    @Test func aStageInheritsItsBasesEnvArgsAndWorkdir() throws {
        let text = "FROM busybox AS base\nARG V=2\nENV E=1\nWORKDIR /w\nONBUILD RUN echo once\nFROM base\nRUN env\n"
        let stages = try plan(text).stages
        let child = stages[1]
        let run = try #require(runStep(child, 1))
        #expect(child.steps[0].isTrigger)
        #expect(child.steps[0].name == "RUN echo once")
        #expect(run.environment["V"] == "2")
        #expect(run.environment["E"] == "1")
        #expect(run.workingDirectory == "/w")
        #expect(
            createdBy(child, after: 4) == [
                "+ RUN |1 V=2 /bin/sh -c echo once # buildkit", "+ RUN |1 V=2 /bin/sh -c env # buildkit",
            ])
        #expect(child.config.config.onBuild == nil)
        #expect(stages[0].config.config.onBuild == ["RUN echo once"])
    }

    @Test func aBaseImagesTriggersRunFirstAndAreNotInherited() throws {
        let images = testImages(onBuild: ["COPY app.py /app/", "RUN --mount=type=cache,target=/c echo built"])
        let stage = try plan("FROM busybox\nUSER me\n", images: images).result
        #expect(stage.steps.map(\.isTrigger) == [true, true, false])
        #expect(stage.steps.map(\.instruction.location.line) == [1, 1, 2])
        #expect(
            createdBy(stage) == ["+ COPY app.py /app/ # buildkit", "+ RUN /bin/sh -c echo built # buildkit", "USER me"])
        #expect(stage.config.config.onBuild == nil)
        let broken = testImages(onBuild: ["RUNN x"])
        #expect(
            errorMessage { _ = try plan("FROM busybox\n", images: broken) }
                == "Dockerfile:1: FROM: the base's ONBUILD trigger RUNN x is invalid (Dockerfile:1: RUNN: unknown instruction; did you mean RUN?)"
        )
    }

    @Test func buildLabelsGoOnTheResultOnly() throws {
        let text = "FROM busybox AS a\nLABEL x=1\nFROM a\nLABEL y=2\n"
        let built = try plan(text, options: BuildOptions(labels: ["com.example.built": "yes", "x": "over"]))
        #expect(built.stages[0].config.config.labels == ["x": "1"])
        #expect(built.result.config.config.labels == ["x": "over", "y": "2", "com.example.built": "yes"])
    }

    @Test func theConfigEncodesWithDockersFieldNamesAndReadsBack() throws {
        let image = try plan(everything).result.config
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(image.config)
        #expect(
            String(decoding: json, as: UTF8.self) == """
                {"ArgsEscaped":true,"Cmd":["./server"],"Entrypoint":["/entry"],"Env":["PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP=/app"],"ExposedPorts":{"80/tcp":{},"8000/udp":{},"8001/udp":{}},"Healthcheck":{"Interval":30000000000,"Retries":3,"Test":["CMD-SHELL","wget -q -O- localhost"]},"Labels":{"org.example.v":"1","other label":"x y"},"OnBuild":["RUN echo child"],"Shell":["/bin/ash","-c"],"StopSignal":"SIGQUIT","User":"app","Volumes":{"/data":{}},"WorkingDir":"/app"}
                """)
        let whole = try encoder.encode(image)
        #expect(try JSONDecoder().decode(DockerImageConfig.self, from: whole) == image)
        let history = String(decoding: try encoder.encode(image.history.last), as: UTF8.self)
        #expect(history == #"{"comment":"buildkit.dockerfile.v0","created_by":"MAINTAINER me","empty_layer":true}"#)
    }
}
