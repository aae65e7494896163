/// The values of the service keys the finalizer reads, found in one pass
/// over the service's entries: looking each up scanned them all again, 17
/// scans of string comparisons a service.
struct ServiceFields {
    var image, build, provider, networkMode, networks, dependsOn, links, ipc, pid, volumesFrom: Node?
    var volumes, secrets, configs, containerName, envFile, environment, deploy, scale, tmpfs: Node?
    var cpus, memLimit, pidsLimit, memReservation: Node?

    init(_ service: Node) {
        guard case .mapping(let entries) = service.value else { return }
        for entry in entries {
            // Keys are told apart by their first byte, then compared: exact,
            // as no character other than these ASCII letters decomposes to
            // one of them (so no other String equals these keys).
            let key = entry.key
            switch key.utf8.first {
            case UInt8(ascii: "b"): if key == "build" { build = entry.value }
            case UInt8(ascii: "c"):
                if key == "configs" {
                    configs = entry.value
                } else if key == "container_name" {
                    containerName = entry.value
                } else if key == "cpus" {
                    cpus = entry.value
                }
            case UInt8(ascii: "d"):
                if key == "depends_on" { dependsOn = entry.value } else if key == "deploy" { deploy = entry.value }
            case UInt8(ascii: "e"):
                if key == "environment" {
                    environment = entry.value
                } else if key == "env_file" {
                    envFile = entry.value
                }
            case UInt8(ascii: "i"): if key == "image" { image = entry.value } else if key == "ipc" { ipc = entry.value }
            case UInt8(ascii: "l"): if key == "links" { links = entry.value }
            case UInt8(ascii: "m"):
                if key == "mem_limit" {
                    memLimit = entry.value
                } else if key == "mem_reservation" {
                    memReservation = entry.value
                }
            case UInt8(ascii: "n"):
                if key == "networks" {
                    networks = entry.value
                } else if key == "network_mode" {
                    networkMode = entry.value
                }
            case UInt8(ascii: "p"):
                if key == "pid" {
                    pid = entry.value
                } else if key == "provider" {
                    provider = entry.value
                } else if key == "pids_limit" {
                    pidsLimit = entry.value
                }
            case UInt8(ascii: "s"):
                if key == "secrets" { secrets = entry.value } else if key == "scale" { scale = entry.value }
            case UInt8(ascii: "t"): if key == "tmpfs" { tmpfs = entry.value }
            case UInt8(ascii: "v"):
                if key == "volumes" {
                    volumes = entry.value
                } else if key == "volumes_from" {
                    volumesFrom = entry.value
                }
            default: break
            }
        }
    }
}
