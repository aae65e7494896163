# Sourced by the benchmarks that run an executable of the Benchmarks package
# (dns.sh, netattach.sh, port-proxy.sh, crun-true.sh). That package is apart
# from Berth's own (Benchmarks/Package.swift), so `make build` never
# compiles it; it builds in Benchmarks/.build.
#
#   . scripts/bench/lib-tool.sh
#   tool=$(bench_tool berth-dns-bench)   # builds it (release) and prints its path

swift=$(command -v swift || echo /opt/swift/usr/bin/swift)

bench_tool() {
  "$swift" build --package-path Benchmarks -c release --product "$1" --explicit-target-dependency-import-check error >&2
  echo "$("$swift" build --package-path Benchmarks -c release --show-bin-path)/$1"
}
