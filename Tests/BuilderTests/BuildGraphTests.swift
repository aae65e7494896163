import BerthModel
import Testing

@testable import Builder

private let multiStage = """
    FROM busybox AS base
    RUN echo base
    FROM base AS deps
    RUN echo deps
    FROM busybox AS assets
    RUN echo assets
    FROM scratch AS unused
    COPY --from=nginx:1.27 /etc/nginx/nginx.conf /
    FROM base AS final
    COPY --from=deps /x /x
    COPY --from=2 /y /y
    RUN --mount=type=bind,from=tools,target=/t true
    """

@Suite("Build graph: stages, targets, levels")
struct BuildGraphTests {
    @Test func onlyTheStagesTheTargetNeedsAreBuiltLevelByLevel() throws {
        let graph = try BuildGraph(dockerfile: parse(multiStage))
        #expect(graph.target == 4)
        #expect(graph.stages.map(\.base) == [.image("busybox"), .stage(0), .image("busybox"), .scratch, .stage(0)])
        #expect(graph.stages[4].dependencies == [0, 1, 2])
        #expect(graph.neededStages == [0, 1, 2, 4])
        #expect(graph.levels == [[0, 2], [1], [4]])
        #expect(graph.images == ["busybox", "tools"])
        let plan = try graph.plan(images: testImages())
        #expect(plan.stages.map(\.index) == [0, 1, 2, 4])
        #expect(plan.levels == [[0, 2], [1], [4]])
        #expect(plan.result.index == 4)
    }

    @Test func aTargetBuildsItsOwnStagesOnly() throws {
        let graph = try BuildGraph(dockerfile: parse(multiStage), options: BuildOptions(target: "DEPS"))
        #expect(graph.target == 1)
        #expect(graph.levels == [[0], [1]])
        #expect(
            try BuildGraph(dockerfile: parse(multiStage), options: BuildOptions(target: "unused")).images
                == ["nginx:1.27"])
    }

    @Test func globalArgsReachFromAndBuildArgsWin() throws {
        let text =
            "ARG VERSION=1.36\nARG IMAGE=busybox:${VERSION}\nFROM ${IMAGE} AS a\nFROM --platform=$BUILDPLATFORM $IMAGE\n"
        #expect(
            try BuildGraph(dockerfile: parse(text)).stages.map(\.base) == [
                .image("busybox:1.36"), .image("busybox:1.36"),
            ])
        let given = try BuildGraph(dockerfile: parse(text), options: BuildOptions(buildArgs: ["VERSION": "1.37"]))
        #expect(given.stages[0].base == .image("busybox:1.37"))
        let overridden = try BuildGraph(dockerfile: parse(text), options: BuildOptions(buildArgs: ["IMAGE": "debian"]))
        #expect(overridden.stages[1].base == .image("debian"))
    }

    @Test func baseImageTriggersCanAddImagesAndStages() throws {
        let text = "FROM scratch AS assets\nFROM busybox AS unrelated\nFROM busybox\n"
        let graph = try BuildGraph(dockerfile: parse(text))
        #expect(graph.requiredImages(given: [:]) == ["busybox"])
        let images = testImages(onBuild: ["COPY --from=tools /x /y", "COPY --from=assets /a /b"])
        #expect(graph.requiredImages(given: images) == ["busybox", "tools"])
        let built = try graph.plan(images: images)
        #expect(built.stages.map(\.index) == [0, 2])
        #expect(built.levels == [[0], [2]])
        #expect(built.result.dependencies == [0])
    }

    @Test func aNameThatIsNoEarlierStageIsAnImage() throws {
        let graph = try BuildGraph(dockerfile: parse("FROM later\nFROM busybox AS later\n"))
        #expect(graph.stages[0].base == .image("later"))
        let copying = try BuildGraph(
            dockerfile: parse("FROM busybox AS builder\nFROM busybox\nCOPY --from=buidler /a /b\n"))
        #expect(copying.images == ["busybox", "buidler"])
        #expect(copying.stageHint(forImage: "buidler") == "builder")
        #expect(copying.stageHint(forImage: "nginx:1.27") == nil)
    }

    @Test(arguments: [
        ("FROM busybox\n", "nope", "Dockerfile: target stage \"nope\" is not in the Dockerfile"),
        (
            "FROM busybox AS builder\nFROM busybox AS final\n", "buidler",
            "Dockerfile: target stage \"buidler\" is not in the Dockerfile; did you mean \"builder\"?"
        ),
        (
            "FROM busybox AS one\nFROM busybox AS two\n", "zzz",
            "Dockerfile: target stage \"zzz\" is not in the Dockerfile (its stages: one, two)"
        ),
    ])
    func anUnknownTargetIsNamed(_ text: String, _ target: String, _ message: String) {
        #expect(
            errorMessage { _ = try BuildGraph(dockerfile: parse(text), options: BuildOptions(target: target)) }
                == message)
        #expect(
            errorCode { _ = try BuildGraph(dockerfile: parse(text), options: BuildOptions(target: target)) }
                == .notFound)
    }

    @Test(arguments: [
        (
            "FROM busybox\nCOPY --from=3 /a /b\n",
            "Dockerfile:2: COPY: --from=3: there is no stage 3 (the stages are numbered from 0 to 0)"
        ),
        (
            "FROM busybox\nCOPY --from=0 /a /b\n",
            "Dockerfile:2: COPY: --from=0 names stage stage-0, which is not defined before this stage (stage-0); only earlier stages can be used"
        ),
        (
            "FROM busybox AS a\nCOPY --from=b /x /y\nFROM busybox AS b\nFROM a\n",
            "Dockerfile:2: COPY: --from=b names stage b, which is not defined before this stage (a); only earlier stages can be used"
        ),
        (
            "FROM busybox AS builder\nFROM busybox\nCOPY --from=Buidler /a /b\n",
            "Dockerfile:3: COPY: --from=Buidler is neither a stage of this Dockerfile nor an image reference (repository names must be lowercase); did you mean stage builder?"
        ),
        (
            "FROM busybox\nRUN --mount=from=Bad,target=/x true\n",
            "Dockerfile:2: RUN: --mount from=Bad is neither a stage of this Dockerfile nor an image reference (repository names must be lowercase)"
        ),
        ("ARG EMPTY\nFROM $EMPTY\n", "Dockerfile:2: FROM: the base $EMPTY expands to nothing"),
        ("FROM Busybox\n", "Dockerfile:1: FROM: Busybox is not an image reference: repository names must be lowercase"),
        (
            "FROM busybox:bad:tag\n",
            "Dockerfile:1: FROM: busybox:bad:tag is not an image reference: \"busybox:bad\" is not a valid name"
        ),
        ("FROM ${X:?setX}\n", "Dockerfile:1: FROM: cannot expand ${X:?setX}: X: setX"),
        (
            "FROM --platform=windows/arm64 busybox\n",
            "Dockerfile:1: FROM: --platform=windows/arm64: Berth builds for this machine's platform only (\(Platform.host))"
        ),
        (
            "FROM --platform=x/y/z/w busybox\n",
            "Dockerfile:1: FROM: --platform=x/y/z/w is not a platform (like linux/amd64)"
        ),
        ("ARG A=${B:?noB}\nFROM busybox\n", "Dockerfile:1: ARG: cannot expand ${B:?noB}: B: noB"),
    ])
    func badStageReferencesAreNamedWithTheirLine(_ text: String, _ message: String) {
        #expect(errorMessage { _ = try BuildGraph(dockerfile: parse(text)) } == message)
    }

    @Test func aForeignPlatformIsUnsupportedAndThisOneIsFine() throws {
        #expect(
            errorCode { _ = try BuildGraph(dockerfile: parse("FROM --platform=linux/s390x busybox\n")) } == .unsupported
        )
        let host = Platform.host
        _ = try BuildGraph(
            dockerfile: parse("FROM --platform=\(host) busybox\nFROM --platform=\(host.architecture) busybox\n"))
    }

    @Test func platformsAreNormalizedAsContainerdDoes() {
        #expect(Platform.parse("linux/x86_64") == Platform(os: "linux", architecture: "amd64"))
        #expect(Platform.parse("Linux/AMD64/v1") == Platform(os: "linux", architecture: "amd64"))
        #expect(Platform.parse("linux/aarch64") == Platform(os: "linux", architecture: "arm64", variant: "v8"))
        #expect(Platform.parse("linux/armhf") == Platform(os: "linux", architecture: "arm", variant: "v7"))
        #expect(Platform.parse("linux/") == nil)
    }

    @Test func imageNamesAreCheckedLightly() {
        for good in [
            "busybox", "library/busybox:1.36", "localhost:5000/app", "registry.example.com/a/b-c_d.e:v1.2",
            "app@sha256:" + String(repeating: "a", count: 64), "[::1]:5000/app:tag", "Host.Example.com/app",
        ] {
            #expect(ImageName.problem(good) == nil, "\(good)")
        }
        for bad in ["", "app:", "-app", "app--x/_y", "a//b", "app@sha256:short", "UPPER"] {
            #expect(ImageName.problem(bad) != nil, "\(bad)")
        }
    }
}
