#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/) for a set time, built with clang, ASan and UBSan.
#   scripts/fuzz.sh                 60 s per target (make fuzz; FUZZ_SECONDS overrides)
#   scripts/fuzz.sh 8               the smoke run of make test: 8 s per target, about a minute
#   scripts/fuzz.sh 600 config      one target for ten minutes
# Each target starts from its checked-in seeds (tests/fuzz/corpus/<target>) and every earlier
# crash (tests/fuzz/regressions/<target>), and grows a working corpus in build-fuzz/corpus/. A
# crash, leak, timeout or out-of-memory input is copied into tests/fuzz/regressions/<target>/,
# where the unit tests replay it from then on (ctest fuzz.replay.<target>), and the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config yaml_tree sim_profile kubeconfig vgpu device_plugin_requests tegra_csv dra_state)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

failed=()
for target in "${targets[@]}"; do
  work=build-fuzz/corpus/$target
  artifacts=build-fuzz/artifacts/$target
  regressions=tests/fuzz/regressions/$target
  mkdir -p "$work" "$artifacts" "$regressions"
  rm -f "$artifacts"/*
  log=build-fuzz/fuzz-$target.log
  # The first directory collects new inputs; the seeds and regressions are only read.
  if build-fuzz/fuzz/"$target"_fuzzer -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "$work" tests/fuzz/corpus/"$target" "$regressions" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "fuzz $target: ${seconds}s, $runs inputs, $cov, no crash"
  else
    echo "fuzz $target: FAILED (log: $log)"
    grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$log" | head -n 12 || true
    for input in "$artifacts"/*; do
      [ -f "$input" ] || continue
      cp "$input" "$regressions/"
      echo "  kept $regressions/$(basename "$input")"
    done
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}; the inputs are in tests/fuzz/regressions/ (commit them with the fix)" >&2
  exit 1
fi
