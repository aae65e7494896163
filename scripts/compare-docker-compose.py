#!/usr/bin/env python3
"""Compare `berth config` with docker-compose 1.29's `config`, file by file.

Usage: scripts/compare-docker-compose.py [-v] [--berth PATH] [FILE[,OVERRIDE...] ...]

With no FILE, every compose file under ../shared/corpus and examples/ is
compared. For each file both tools load it with the same environment and the
same project directory (the file's own folder, which is also the working
directory), and per service we compare: the set of services, `image`, the
published ports as (host_ip, published, target, protocol), the volumes as
(type, source, target, read_only) with absolute bind sources, and
`environment` as a dict of strings.

A file docker-compose 1.29 cannot load (newer syntax: `!reset`, `include`,
boolean environment values...) is skipped, not failed; Berth must still load
it. The exit status is 1 if Berth fails to load a file or disagrees with
docker-compose on one, 0 otherwise.

docker-compose 1.29 predates parts of the Compose Specification, so a few of
its v1-only behaviours are normalized below; each place says why.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")

# docker-compose 1.29 run in-process with two v1-only checks taken out:
# - it refuses a top-level `name:` (its schema predates it; the Compose
#   Specification and docker compose v2 accept it). The key only names the
#   project, which none of the compared fields depend on, so it is dropped.
# - it fails `config` when a build context folder is missing. docker compose
#   v2 checks that only when it builds, and real projects' files are tried
#   here without their sources.
DOCKER_COMPOSE_SHIM = r"""
import sys
import compose.config.config as cfg
_load_yaml = cfg.load_yaml
def load_yaml(*args, **kwargs):
    data = _load_yaml(*args, **kwargs)
    if isinstance(data, dict):
        data.pop("name", None)
    return data
cfg.load_yaml = load_yaml
cfg.validate_paths = lambda service_dict: None
from compose.cli.main import main
sys.argv = ["docker-compose"] + sys.argv[1:]
sys.exit(main())
"""


def docker_compose_python():
    """The interpreter docker-compose itself runs on (its shebang), where its package is."""
    exe = shutil.which("docker-compose") or "/usr/bin/docker-compose"
    with open(exe) as f:
        shebang = f.readline()
    return shebang[2:].strip().split()[0] if shebang.startswith("#!") else "/usr/bin/python3"


def default_files():
    roots = [REPO.parent / "shared" / "corpus", REPO / "examples"]
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.name in COMPOSE_NAMES and path.is_file():
                found.append(path)
    return found


def run(argv, cwd):
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=dict(os.environ))
    return proc.returncode, proc.stdout, proc.stderr


def first_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[:2])[:160] if lines else "(no message)"


# ---------------------------------------------------------------- ports


def split_range(text):
    """'8000-8002' -> [8000, 8001, 8002]; '80' -> [80]."""
    text = str(text)
    if "-" in text:
        lo, hi = text.split("-", 1)
        return list(range(int(lo), int(hi) + 1))
    return [int(text)]


def parse_short_port(text):
    """docker-compose 1.29's short port string -> (host_ip, published, target, protocol)s."""
    text = str(text)
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
    host_ip = ""
    if text.startswith("["):  # [::1]:80:80
        end = text.index("]")
        host_ip, text = text[1:end], text[end + 2 :]
        parts = text.split(":")
        published, target = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    else:
        parts = text.split(":")
        if len(parts) > 3:  # 1.29 prints an IPv6 host without brackets: ::1:80:80/tcp
            host_ip, published, target = ":".join(parts[:-2]), parts[-2], parts[-1]
        elif len(parts) == 3:
            host_ip, published, target = parts
        elif len(parts) == 2:
            published, target = parts
        else:
            published, target = "", parts[0]
    return expand_port(host_ip, published, target, protocol)


def expand_port(host_ip, published, target, protocol):
    """One tuple per target port, as docker compose v2 expands ranges."""
    targets = split_range(target)
    published = "" if published is None else str(published)
    if len(targets) == 1:
        return [(host_ip or "", published, targets[0], protocol or "tcp")]
    if published and "-" in published:
        pubs = [str(p) for p in split_range(published)]
        if len(pubs) == len(targets):
            return [(host_ip or "", p, t, protocol or "tcp") for p, t in zip(pubs, targets)]
    if published:  # a single published port for a target range
        return [(host_ip or "", published, t, protocol or "tcp") for t in targets]
    return [(host_ip or "", "", t, protocol or "tcp") for t in targets]


def norm_ports(entries):
    out = []
    for entry in entries or []:
        if isinstance(entry, dict):
            out += expand_port(entry.get("host_ip"), entry.get("published"), entry["target"], entry.get("protocol"))
        else:
            out += parse_short_port(entry)
    return sorted(out)


# ---------------------------------------------------------------- volumes


def norm_volume(entry, project_dir):
    if isinstance(entry, dict):
        kind = entry.get("type", "volume")
        source = entry.get("source") or ""
        target = entry.get("target", "")
        read_only = bool(entry.get("read_only", False))
    else:
        parts = str(entry).split(":")
        mode = ""
        if len(parts) == 1:
            source, target = "", parts[0]
        elif len(parts) == 2:
            source, target = parts
        else:
            source, target, mode = parts[0], parts[1], ":".join(parts[2:])
        read_only = "ro" in mode.split(",")
        kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    if kind == "bind" and source:
        source = os.path.normpath(os.path.join(project_dir, os.path.expanduser(source)))
    return (kind, source, target, read_only)


def norm_volumes(entries, project_dir):
    return sorted(norm_volume(e, project_dir) for e in entries or [])


def clean_targets(volumes):
    """docker-compose 1.29 cleans the container path (`/etc/pihole/` becomes
    `/etc/pihole`); compose-go keeps it as written. Both name one mount point."""
    return sorted((k, s, t.rstrip("/") if len(t) > 1 else t, ro) for k, s, t, ro in volumes)


# ---------------------------------------------------------------- environment


def env_string(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def norm_env(env):
    if isinstance(env, list):  # not produced by either tool's config, but cheap to accept
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: env_string(v) for k, v in (env or {}).items()}


# ---------------------------------------------------------------- compare


# `${VAR:-$OTHER}` / `${VAR:-$$literal}`: a variable or an escaped `$` inside
# a default value.
NESTED_DEFAULT = re.compile(r"\$\{[^}]*?:?[-?+]\$")


def v1_literal_dollar(dc_value, berth_value, dc_service, sources):
    """Why a docker-compose 1.29 value that still holds a `$` is v1-only, or None.

    1.29 prints a literal `$` as `$$`. Where Berth substituted something there,
    the Compose Specification and docker compose v2 do too:
    - 1.29 does not interpolate env_file values; v2 does (12-interpolation.md,
      and the .env syntax of 05-services.md#env_file).
    - 1.29 does not interpolate inside a default (`${A:-$B}`, `${A:-$$b}`);
      the spec's nested interpolation does.
    """
    if not isinstance(dc_value, str) or "$$" not in dc_value or dc_value == berth_value:
        return None
    if NESTED_DEFAULT.search(sources):
        return "v1 does not interpolate inside ${VAR:-default}"
    if dc_service.get("env_file"):
        return "v1 does not interpolate env_file values"
    return None


def compare_service(name, dc, berth, project_dir, sources, notes):
    diffs = []
    if dc.get("image") != berth.get("image"):
        why = v1_literal_dollar(dc.get("image"), berth.get("image"), dc, sources)
        line = f"{name}.image: docker-compose {dc.get('image')!r} berth {berth.get('image')!r}"
        (notes if why else diffs).append(f"{line} ({why})" if why else line)

    dc_ports, b_ports = norm_ports(dc.get("ports")), norm_ports(berth.get("ports"))
    if dc_ports != b_ports:
        diffs.append(f"{name}.ports: docker-compose {dc_ports} berth {b_ports}")

    dc_vols = norm_volumes(dc.get("volumes"), project_dir)
    b_vols = norm_volumes(berth.get("volumes"), project_dir)
    if clean_targets(dc_vols) != clean_targets(b_vols):
        diffs.append(f"{name}.volumes: docker-compose {dc_vols} berth {b_vols}")
    elif dc_vols != b_vols:
        notes.append(f"{name}.volumes: only trailing slashes of targets differ (v1 cleans container paths)")

    dc_env, b_env = norm_env(dc.get("environment")), norm_env(berth.get("environment"))
    for key in sorted(set(dc_env) | set(b_env)):
        if key not in b_env or key not in dc_env:
            side = "berth" if key not in b_env else "docker-compose"
            diffs.append(f"{name}.environment.{key}: missing in {side}")
            continue
        dv, bv = dc_env[key], b_env[key]
        if dv == bv:
            continue
        why = v1_literal_dollar(dv, bv, dc, sources)
        if why:
            notes.append(f"{name}.environment.{key}: docker-compose {dv!r} berth {bv!r} ({why})")
            continue
        diffs.append(f"{name}.environment.{key}: docker-compose {dv!r} berth {bv!r}")
    return diffs


def compare_file(spec, berth_bin, dc_python):
    """One comparison: `spec` is a file, or files joined by commas (several -f)."""
    paths = [Path(p).resolve() for p in str(spec).split(",")]
    project_dir = str(paths[0].parent)
    files = [arg for p in paths for arg in ("-f", str(p))]
    b_rc, b_out, b_err = run([berth_bin, *files, "config", "--format", "json", "--profile", "*"], project_dir)
    # docker-compose 1.29's `config` prints every service whatever its
    # profiles; `--profile '*'` makes Berth do the same.
    d_rc, d_out, d_err = run([dc_python, "-c", DOCKER_COMPOSE_SHIM, *files, "config"], project_dir)
    if "Traceback (most recent call last)" in d_err:
        sys.exit(f"docker-compose crashed on {spec}:\n{d_err}")

    result = {"file": ",".join(str(p) for p in paths), "diffs": [], "notes": []}
    sources = "\n".join(p.read_text(errors="replace") for p in paths)
    if b_rc != 0:
        result["status"] = "BERTH-FAIL"
        result["diffs"].append("berth: " + first_line(b_err))
        if d_rc != 0:
            result["notes"].append("docker-compose also fails: " + first_line(d_err))
        return result
    berth = json.loads(b_out)
    if d_rc != 0:
        result["status"] = "dc-skip"
        result["notes"].append("docker-compose cannot load it: " + first_line(d_err))
        return result
    dc = yaml.safe_load(d_out) or {}

    dc_services, b_services = dc.get("services") or {}, berth.get("services") or {}
    if set(dc_services) != set(b_services):
        result["diffs"].append(f"services: docker-compose {sorted(dc_services)} berth {sorted(b_services)}")
    for name in sorted(set(dc_services) & set(b_services)):
        result["diffs"] += compare_service(
            name, dc_services[name], b_services[name], project_dir, sources, result["notes"]
        )
    result["status"] = "DIFFER" if result["diffs"] else "agree"
    result["services"] = len(b_services)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="compose file, or FILE,OVERRIDE,... for several -f")
    parser.add_argument("--berth", default=os.environ.get("BERTH", str(REPO / ".build" / "debug" / "berth")))
    parser.add_argument("-v", "--verbose", action="store_true", help="print notes on skipped fields too")
    args = parser.parse_args()

    if not os.access(args.berth, os.X_OK):
        sys.exit(f"no berth binary at {args.berth} (build it, or pass --berth / BERTH=)")
    dc_python = docker_compose_python()
    files = args.files or default_files()
    results = [compare_file(f, args.berth, dc_python) for f in files]

    width = max((len(str(r["file"])) for r in results), default=10)
    cwd = Path.cwd()
    for r in results:
        shown = ",".join(os.path.relpath(f, cwd) for f in r["file"].split(","))
        services = f"{r['services']:>3} services" if "services" in r else ""
        print(f"{r['status']:<11} {shown:<{min(width, 70)}} {services}")
        for d in r["diffs"]:
            print(f"    - {d}")
        if args.verbose or r["status"] != "agree":
            for n in r["notes"]:
                print(f"    ~ {n}")

    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print()
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" ({len(results)} files)")
    failed = any(r["status"] in ("DIFFER", "BERTH-FAIL") for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
