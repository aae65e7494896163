#!/usr/bin/env python3
"""Fuzzes berthd's HTTP API over its unix socket (issue 16) and prints what
an operator cares about: every request answered with a status (or the
connection closed for a malformed one), `ls` (POST /v1/projects) still
answering fast in between, and berthd's resident memory.

    api-fuzz.py SOCKET BERTHD_PID [REQUESTS] [SEED]

Bodies are valid requests mutated at random (fields dropped, retyped,
huge, negative, path-like names, NUL bytes), random bytes, and malformed
HTTP (bad request lines, lying Content-Length, endless headers, half-sent).
"""
import json
import random
import socket
import sys
import time

sock_path, pid = sys.argv[1], int(sys.argv[2])
total = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 16)

ROUTES = ["up", "down", "ps", "logs", "container-action", "top", "stats", "copy", "volume-create", "wait",
          "events", "projects", "images", "image-remove", "network-remove", "run", "exec"]
SEEDS = {
    "ps": {"projectName": "fuzz", "services": [], "all": True},
    "down": {"projectName": "fuzz", "removeVolumes": False, "removeOrphans": False},
    "container-action": {"projectName": "fuzz", "action": "stop", "services": [], "force": False},
    "top": {"projectName": "fuzz", "services": []},
    "stats": {"projectName": "fuzz", "services": [], "all": False},
    "volume-create": {"name": "fuzzvol", "labels": {}},
    "wait": {"projectName": "fuzz", "services": ["a"]},
    "logs": {"projectName": "fuzz", "services": [], "follow": False, "tail": 5},
    "copy": {"projectName": "fuzz", "service": "a", "index": 1,
             "copy": {"intoContainer": False, "containerPath": "/etc", "hostPath": "/tmp/x", "archive": False,
                      "followLink": False, "keepOwnership": False}},
}
NASTY = ["../../x", "", "a" * 300, "\u0000", -5, 2 ** 62, -1, None, [], {}, True, 1e308, "UP", "x" * 100000,
         "/etc/passwd", "a=b", {"$ref": "x"}]


def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return -1


def mutate(value, depth=0):
    if isinstance(value, dict) and value and depth < 3:
        value = dict(value)
        key = rng.choice(list(value))
        roll = rng.random()
        if roll < 0.2:
            del value[key]
        elif roll < 0.8:
            value[key] = mutate(value[key], depth + 1)
        else:
            value[rng.choice(["extra", key.upper(), ""])] = rng.choice(NASTY)
        return value
    if isinstance(value, list) and value and rng.random() < 0.5:
        return [mutate(v, depth + 1) for v in value] * rng.choice([1, 2, 1000])
    return rng.choice(NASTY + [value])


def exchange(raw, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(raw)
        data = s.recv(64)
        return data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else ("closed" if not data else "junk")
    except socket.timeout:
        return "timeout"
    except OSError as error:
        return "error:" + error.__class__.__name__
    finally:
        s.close()


def request(route, body):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = f"POST /v1/{route} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\n"
    return head.encode() + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload


def malformed():
    return rng.choice([
        b"GARBAGE\r\n\r\n",
        b"POST /v1/ps HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{}",
        b"POST /v1/ps HTTP/1.1\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n",
        b"POST /v1/../../etc HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 512))),
        b"GET /v1/ps HTTP/9.9\r\n\r\n",
    ])


def ls_ms():
    start = time.perf_counter()
    status = exchange(request("projects", {}))
    return (time.perf_counter() - start) * 1000, status


statuses = {}
ls_times = []
peak = rss_mib()
start_rss = peak
for i in range(total):
    roll = rng.random()
    if roll < 0.15:
        raw = malformed()
    else:
        route = rng.choice(ROUTES)
        seed = SEEDS.get(route, {"projectName": "fuzz"})
        raw = request(route, mutate(seed) if roll < 0.9 else bytes(rng.getrandbits(8) for _ in range(64)))
    status = exchange(raw, timeout=3.0)
    statuses[status] = statuses.get(status, 0) + 1
    if i % 50 == 0:
        ms, ls_status = ls_ms()
        ls_times.append(ms)
        if ls_status != "200":
            statuses["ls-not-200"] = statuses.get("ls-not-200", 0) + 1
        peak = max(peak, rss_mib())

ls_times.sort()
print("api-fuzz: %d requests; answers: %s" % (total, ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))))
print("api-fuzz: ls between them: p50 %.1f ms, max %.1f ms (%d looks)" % (
    ls_times[len(ls_times) // 2], ls_times[-1], len(ls_times)))
print("api-fuzz: berthd RSS %.1f MiB at start, %.1f MiB peak, %.1f MiB at the end" % (start_rss, peak, rss_mib()))
bad = [k for k in statuses if k.startswith("5") or k in ("timeout", "junk") or k.startswith("error")]
sys.exit(1 if bad or ls_times[-1] >= 50 or peak >= 64 else 0)
