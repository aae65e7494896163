#!/usr/bin/env python3
"""Writes a compose file of N services (default 1000) to stdout: ports,
volumes, environment, anchors and merge keys, depends_on chains, healthchecks.
The same file is fed to `berth config`, `docker-compose config` and a bare
libyaml parse, so every construct here must be one all three accept."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
out = []
w = out.append
w("x-common: &common")
w("  restart: unless-stopped")
w("  environment: &common-env")
w("    TZ: UTC")
w("    LOG_LEVEL: ${LOG_LEVEL:-info}")
w("  labels:")
w("    com.example.stack: bench")
w("services:")
for i in range(n):
    w(f"  svc{i}:")
    w("    <<: *common")
    w(f"    image: registry.example.com/team/app{i % 17}:1.{i % 9}")
    w(f"    command: [\"/bin/app\", \"--port\", \"{8000 + i % 1000}\", \"--name\", \"svc{i}\"]")
    w("    ports:")
    w(f"      - \"{20000 + i}:{8000 + i % 1000}\"")
    w(f"      - \"127.0.0.1:{30000 + i}:9100/udp\"")
    w("    volumes:")
    w(f"      - data{i % 50}:/var/lib/app")
    w(f"      - ./conf/svc{i}:/etc/app:ro")
    w("    environment:")
    w(f"      SERVICE_NAME: svc{i}")
    w(f"      SERVICE_INDEX: \"{i}\"")
    w(f"      PEER_URL: http://svc{(i + 1) % n}:{8000 + (i + 1) % 1000}/")
    w("    healthcheck:")
    w(f"      test: [\"CMD\", \"wget\", \"-q\", \"-O-\", \"http://localhost:{8000 + i % 1000}/health\"]")
    w("      interval: 10s")
    w("      timeout: 2s")
    w("      retries: 3")
    if i % 10 != 0:
        w("    depends_on:")
        w(f"      - svc{i - 1}")
w("volumes:")
for j in range(min(50, n)):
    w(f"  data{j}:")
print("\n".join(out))
