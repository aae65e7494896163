import BerthModel
import DaemonAPI
import Foundation
import Reconciler
import RuntimeKit

extension DaemonService {
    /// `berth pull`, `berth image pull`: every reference at once, progress
    /// per image and per layer; a layer two images share is fetched once.
    public func pullImages(_ request: ImagePullRequest, report: @escaping ProgressSink) async throws
        -> ImageTransferResult
    {
        let (images, failures) = try await pullAll(
            request.references.map { ($0, request.platforms?[$0] ?? request.platform) },
            configDirectory: request.configDirectory,
            ignoreFailures: request.ignoreFailures, report: report)
        return ImageTransferResult(images: images, failures: failures)
    }

    /// `berth push`, `berth image push`: each image in turn (pushes of
    /// different images still share nothing a registry would dedupe).
    public func pushImages(_ request: ImagePushRequest, report: @escaping ProgressSink) async throws
        -> ImageTransferResult
    {
        let options = ImageTransferOptions(configDirectory: request.configDirectory)
        var images: [ImageSummary] = []
        var failures: [BerthError] = []
        for reference in Self.unique(request.references) {
            let started = ContinuousClock.now
            report(ProgressEvent(kind: .image, name: reference, status: "Pushing", done: false))
            do {
                let digest = try await runtime.pushImage(reference, options: options) { report(Self.event($0)) }
                let info = try await runtime.image(reference)
                report(
                    ProgressEvent(
                        kind: .image, name: reference, status: "Pushed", done: true, elapsed: Self.since(started),
                        detail: digest))
                images.append(Self.summary(info, digest: digest))
            } catch {
                let failure = Self.berthError(error)
                report(ProgressEvent(kind: .image, name: reference, status: "Error", done: true, detail: failure.line))
                failures.append(failure)
            }
        }
        if !request.ignoreFailures, let error = BerthError.combined(failures) { throw error }
        return ImageTransferResult(images: images, failures: failures.map(\.line))
    }

    /// `berth image tag SOURCE TARGET`.
    public func tagImage(_ request: ImageTagRequest) async throws -> ImageSummary {
        Self.summary(try await runtime.tagImage(request.source, as: request.target))
    }

    /// `berth login`.
    public func login(_ request: LoginRequest) async throws -> [String] {
        let key = try await runtime.login(Self.registryLogin(request))
        return ["Login Succeeded (\(key))"]
    }

    /// `berth logout`.
    public func logout(_ request: LoginRequest) async throws -> [String] {
        let erased = try await runtime.logout(Self.registryLogin(request))
        return [erased ? "Removing login credentials for \(request.server)" : "Not logged in to \(request.server)"]
    }

    /// Before `up` (and `run`) plan: pulls the images of the services in
    /// `scope` that their pull policy (or `--pull`) says to, all at once,
    /// and returns the project with each service's image digest in the
    /// `com.docker.compose.image` label, as docker compose records it: a
    /// tag that moved to a new digest recreates the service. Builds are
    /// the builder's: a missing image of a service with `build:` is left.
    func ensureImages(
        _ project: Project, scope: [String], pull: String?, configDirectory: String?, report: @escaping ProgressSink
    ) async throws -> Project {
        let override = try pull.map { try PullPolicy(parsing: $0) }
        let history = PullHistory(path: store.root + "/image-pulls.json")
        let pulled = history.load()
        let now = Date().timeIntervalSince1970
        var wanted: [(String, String?)] = []
        for name in scope.sorted() {
            guard let service = project.services[name], let image = service.image else { continue }
            let policy = try override ?? PullPolicy(parsing: service.pullPolicy ?? "missing", service: name)
            let present = (try? await runtime.image(image)) != nil
            if policy.shouldPull(present: present, builds: service.build != nil, lastPulled: pulled[image], now: now) {
                wanted.append((image, service.platform))
            } else if !present, policy == .never {
                throw BerthError(
                    .notFound,
                    "service \"\(name)\": image \"\(image)\" not found and its pull policy is never; "
                        + "pull it with `berth pull \(name)` or import one with `berth image import FILE \(image)`")
            }
        }
        let (images, _) = try await pullAll(
            wanted, configDirectory: configDirectory, ignoreFailures: false, report: report)
        history.record(images.map(\.reference), at: now)
        var project = project
        for name in scope {
            guard let image = project.services[name]?.image, let info = try? await runtime.image(image) else {
                continue
            }
            if let wanted = project.services[name]?.platform, let actual = info.platform,
                !Self.platform(actual, matches: wanted)
            {
                throw BerthError(
                    .invalidSpec,
                    "service \"\(name)\": image \"\(image)\" was found but does not match the specified platform: "
                        + "wanted \(wanted), actual: \(actual)")
            }
            project.services[name]?.labels[ComposeLabel.image] = info.digest
        }
        return project
    }

    /// Whether an image's `os/architecture` is the platform a service asks
    /// for (`linux/amd64`, `linux/x86_64`, `linux/arm64/v8`; a variant the
    /// image does not record is not held against it).
    static func platform(_ actual: String, matches wanted: String) -> Bool {
        func parts(_ text: String) -> [String] {
            let aliases = ["x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "i386": "386"]
            return text.lowercased().split(separator: "/").map { aliases[String($0)] ?? String($0) }
        }
        let have = parts(actual)
        let want = parts(wanted)
        guard want.count >= 2, have.count >= 2 else { return want.first == have.last }
        return Array(want.prefix(2)) == Array(have.prefix(2))
    }

    /// Pulls `references` (each once, for its platform; nil: the host's) in
    /// parallel; the images pulled, and the failures' lines when
    /// `ignoreFailures` (else the first failure is thrown).
    func pullAll(
        _ references: [(String, String?)], configDirectory: String?, ignoreFailures: Bool,
        report: @escaping ProgressSink
    ) async throws -> ([ImageSummary], [String]) {
        let runtime = runtime
        var seen = Set<String>()
        let unique = references.filter { seen.insert($0.0).inserted }
        let outcomes = await withTaskGroup(of: Result<ImageSummary, BerthError>.self) { group in
            for (reference, platform) in unique {
                let options = ImageTransferOptions(platform: platform, configDirectory: configDirectory)
                group.addTask {
                    let started = ContinuousClock.now
                    report(ProgressEvent(kind: .image, name: reference, status: "Pulling", done: false))
                    do {
                        let info = try await runtime.pullImage(reference, options: options) { report(Self.event($0)) }
                        report(
                            ProgressEvent(
                                kind: .image, name: reference, status: "Pulled", done: true,
                                elapsed: Self.since(started)))
                        return .success(Self.summary(info))
                    } catch {
                        let failure = Self.berthError(error)
                        report(
                            ProgressEvent(
                                kind: .image, name: reference, status: "Error", done: true,
                                elapsed: Self.since(started), detail: failure.line))
                        return .failure(failure)
                    }
                }
            }
            var all: [Result<ImageSummary, BerthError>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        var images: [ImageSummary] = []
        var failures: [BerthError] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let image): images.append(image)
            case .failure(let error): failures.append(error)
            }
        }
        if !ignoreFailures, let first = failures.sorted(by: { $0.line < $1.line }).first { throw first }
        return (images.sorted { $0.reference < $1.reference }, failures.map(\.line))
    }

    /// A layer's progress as a line of the stream.
    static func event(_ layer: LayerProgress) -> ProgressEvent {
        let hex = layer.layer.hasPrefix("sha256:") ? layer.layer.dropFirst(7) : Substring(layer.layer)
        var event = ProgressEvent(kind: .layer, name: String(hex.prefix(12)), status: layer.status, done: layer.done)
        event.current = layer.current
        event.total = layer.total
        return event
    }

    static func summary(_ info: ImageInfo, digest: String? = nil) -> ImageSummary {
        ImageSummary(
            reference: info.reference, digest: digest ?? info.digest, size: info.size, repoDigests: info.repoDigests)
    }

    static func unique(_ references: [String]) -> [String] {
        var seen = Set<String>()
        return references.filter { seen.insert($0).inserted }
    }

    static func since(_ start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func berthError(_ error: any Error) -> BerthError {
        (error as? BerthError) ?? BerthError(.daemonInternal, "\(error)")
    }

    static func registryLogin(_ request: LoginRequest) -> RegistryLogin {
        RegistryLogin(
            server: request.server, username: request.username, password: request.password,
            configDirectory: request.configDirectory, uid: request.uid, gid: request.gid)
    }
}
