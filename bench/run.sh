#!/usr/bin/env bash
# make bench: every benchmark, one report on stdout. Figures go into docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export NVDP_BUILD_DIR=${NVDP_BUILD_DIR:-$PWD/build}
echo "# nvdp benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r)"
echo
/usr/bin/python3 bench/startup_and_memory.py
echo
/usr/bin/python3 bench/startup_and_memory.py --profile v100-16gpu --runs 3
echo
/usr/bin/python3 bench/startup_and_memory.py --multicall --runs 5
echo
"$NVDP_BUILD_DIR/bench/preferred-allocation-bench" --sim-root "$NVDP_BUILD_DIR/sim-root"
echo
/usr/bin/python3 bench/preferred_allocation_instructions.py
echo
/usr/bin/python3 bench/preferred_allocation_latency.py
echo
/usr/bin/python3 bench/health_latency.py
echo
/usr/bin/python3 bench/gfd_pass.py
/usr/bin/python3 bench/gfd_pass.py --profile a100-mig-mixed --mig-strategy mixed
echo
/usr/bin/python3 bench/dra_latency.py
