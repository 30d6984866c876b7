#!/usr/bin/env bash
# clang-tidy (.clang-tidy: the bug-finding checks) over every project source file, with the release
# build's compile commands. Any finding fails. Run by make lint and by CI.
#   scripts/lint.sh [file...]     only these files
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/compile_commands.json ] || { cmake --preset release >/dev/null; }
# Generated sources (protobuf, version) need to exist before they are parsed.
cmake --build --preset release --target nvdp_api nvdp_version_source >/dev/null
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(git ls-files 'src/*.cc' 'cmd/*.cc' 'sim/*.cc')
fi
jobs=$(nproc)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy -p build --quiet >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ] || grep -qE '(warning|error):' "$log"; then
  grep -E -A3 '(warning|error):|Stack dump' "$log" || tail -n 40 "$log"
  echo "lint: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "lint: ${#files[@]} files, no clang-tidy findings"
