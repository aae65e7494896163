import BerthModel
import Foundation
import Synchronization

/// A seccomp profile in docker's format (the moby default profile, or one a
/// service names with `security_opt: [seccomp=FILE]`), turned into the OCI
/// runtime spec's `linux.seccomp` for one container as docker does it:
/// only the architectures of this machine's entry in `archMap`, and only
/// the rules whose `includes` hold and whose `excludes` do not, judged on
/// the container's capabilities, this architecture and this kernel. So a
/// container given CAP_SYS_ADMIN may `unshare` and one without may not.
struct SeccompProfile: Decodable, Sendable {
    struct ArchMap: Decodable, Sendable {
        var architecture: String
        var subArchitectures: [String]?
    }

    struct Condition: Decodable, Sendable {
        var caps: [String]?
        var arches: [String]?
        var minKernel: String?
    }

    struct Rule: Decodable, Sendable {
        var names: [String]?
        var name: String?
        var action: String
        var errnoRet: UInt?
        var args: [OCIRuntimeSpec.Seccomp.Argument]?
        var includes: Condition?
        var excludes: Condition?
    }

    var defaultAction: String
    var defaultErrnoRet: UInt?
    var architectures: [String]?
    var archMap: [ArchMap]?
    var syscalls: [Rule]?
    var flags: [String]?

    /// Reads a profile file; a missing or malformed one names the file.
    static func load(_ path: String, what: String) throws -> SeccompProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BerthError(.notFound, "\(what): the seccomp profile \(path) cannot be read")
        }
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: data)
        } catch {
            throw BerthError(
                .invalidSpec, "\(what): the seccomp profile \(path) is not a seccomp profile",
                cause: BerthError.describe(error))
        }
    }

    /// Installed profiles (docker's default) by path, read once rather than
    /// on every container create and build step.
    private static let installed = Mutex<[String: SeccompProfile]>([:])

    /// `load` for a profile installed with Berth, kept after the first read.
    static func installed(_ path: String, what: String) throws -> SeccompProfile {
        if let known = installed.withLock({ $0[path] }) { return known }
        let profile = try load(path, what: what)
        installed.withLock { $0[path] = profile }
        return profile
    }

    /// This machine's architecture in docker's words (Go's GOARCH) and libseccomp's.
    static var machine: (docker: String, seccomp: String) {
        #if arch(x86_64)
        return ("amd64", "SCMP_ARCH_X86_64")
        #elseif arch(arm64)
        return ("arm64", "SCMP_ARCH_AARCH64")
        #else
        return ("unknown", "unknown")
        #endif
    }

    /// The OCI section for a container holding `capabilities` on a kernel `kernel` (`6.1.0`).
    func forContainer(capabilities: [String], kernel: String) -> OCIRuntimeSpec.Seccomp {
        let (arch, native) = Self.machine
        var architectures = architectures ?? []
        for entry in archMap ?? [] where entry.architecture == native {
            architectures += [entry.architecture] + (entry.subArchitectures ?? [])
        }
        let held = Set(capabilities)
        func holds(_ condition: Condition?) -> Bool {
            guard let condition else { return true }
            if let arches = condition.arches, !arches.isEmpty, !arches.contains(arch) { return false }
            if let caps = condition.caps, !caps.allSatisfy(held.contains) { return false }
            if let minimum = condition.minKernel, !Self.kernel(kernel, atLeast: minimum) { return false }
            return true
        }
        func excluded(_ condition: Condition?) -> Bool {
            guard let condition else { return false }
            if let arches = condition.arches, arches.contains(arch) { return true }
            if let caps = condition.caps, caps.contains(where: held.contains) { return true }
            if let minimum = condition.minKernel, Self.kernel(kernel, atLeast: minimum) { return true }
            return false
        }
        let rules = (syscalls ?? []).filter { holds($0.includes) && !excluded($0.excludes) }.map { rule in
            OCIRuntimeSpec.Seccomp.Syscall(
                names: rule.names ?? rule.name.map { [$0] } ?? [], action: rule.action, errnoRet: rule.errnoRet,
                args: rule.args?.isEmpty == false ? rule.args : nil)
        }
        return OCIRuntimeSpec.Seccomp(
            defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
            architectures: architectures.isEmpty ? nil : architectures, flags: flags,
            syscalls: rules.filter { !$0.names.isEmpty })
    }

    /// Whether release `kernel` (`6.18.44-fc`) is at least `minimum` (`4.8`).
    static func kernel(_ kernel: String, atLeast minimum: String) -> Bool {
        func numbers(_ text: String) -> [Int] {
            text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        }
        let have = numbers(kernel)
        let want = numbers(minimum)
        for index in 0..<max(have.count, want.count) {
            let a = index < have.count ? have[index] : 0
            let b = index < want.count ? want[index] : 0
            if a != b { return a > b }
        }
        return true
    }
}
