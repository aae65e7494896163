#!/usr/bin/env bash
# Checks that two builds of `berth` print the same `berth config` for the
# same inputs, byte for byte: standard output, standard error and exit
# status. The inputs are every compose file of ../shared/corpus and
# examples/, each in YAML and JSON, with --hash '*', --services and
# --images, and mutations of each (one line deleted, the file cut in half,
# a value replaced by a wrong type) so that the error paths are compared too.
# A refactoring that must not change behaviour runs it with the binary from
# before the change and the one from after.
#
#   scripts/config-identical.sh OLD_BERTH NEW_BERTH
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1")
new=$(realpath "$2")
work=$(mktemp -d /tmp/berth-config-identical.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The inputs, copied so that a mutation can sit beside its original (and
# its .env and included files) under the same directory name.
mkdir -p "$work/in"
cp -r ../shared/corpus "$work/in/corpus"
cp -r examples "$work/in/examples"
mapfile -t files < <(find "$work/in" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)

python3 - "$work" "${files[@]}" <<'PY'
import os, sys
work, files = sys.argv[1], sys.argv[2:]
for path in files:
    lines = open(path, encoding="utf-8", errors="surrogateescape").read().split("\n")
    base, ext = os.path.splitext(path)
    # Deleting a line shifts keys to other parents or breaks the indentation.
    step = max(1, len(lines) // 6)
    for k in range(1, len(lines), step):
        with open(f"{base}.del{k}{ext}", "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(lines[:k] + lines[k + 1:]))
    with open(f"{base}.cut{ext}", "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines)[: len("\n".join(lines)) // 2])
    # A scalar where a mapping or list is expected, and the reverse.
    text = "\n".join(lines)
    for i, (a, b) in enumerate([("ports:", "ports: 80"), ("image:", "image: [a]"),
                                 ("environment:", "environment: 3"), ("depends_on:", "depends_on: {x: 1}")]):
        if a in text:
            with open(f"{base}.type{i}{ext}", "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text.replace(a, b, 1))
PY

mapfile -t inputs < <(find "$work/in" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
run() { # BIN OUTDIR
  local bin=$1 out=$2 i=0
  mkdir -p "$out"
  for f in "${inputs[@]}"; do
    i=$((i + 1))
    local dir
    dir=$(dirname "$f")
    for variant in yaml json hash services images; do
      case $variant in
        yaml) args=(config) ;;
        json) args=(config --format json) ;;
        hash) args=(config --hash '*') ;;
        services) args=(config --services) ;;
        images) args=(config --images) ;;
      esac
      (cd "$dir" && env -i PATH="$PATH" HOME=/root "$bin" -f "$f" "${args[@]}" >"$out/$i.$variant.out" 2>"$out/$i.$variant.err"
        echo $? >"$out/$i.$variant.rc") || true
    done
  done
}
run "$old" "$work/old"
run "$new" "$work/new"
count=$(find "$work/old" -name '*.rc' | wc -l)
if diff -r "$work/old" "$work/new" >"$work/diff" 2>&1; then
  echo "identical: ${#inputs[@]} inputs, $count runs"
else
  echo "DIFFERENT (${#inputs[@]} inputs, $count runs):"
  head -60 "$work/diff"
  exit 1
fi
