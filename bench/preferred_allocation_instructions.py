#!/usr/bin/env python3
"""Instructions per GetPreferredAllocation answer (best-effort policy, in process), counted by
callgrind: figures that do not move with the machine's noise, unlike the timings.

Runs `preferred-allocation-bench --instructions` under valgrind; the bench dumps callgrind's
counts once per machine, size and kind of input (index order, random order, random order with
1-3 must-include GPUs), 5 calls each. Prints thousands of instructions per call, per machine the
sizes listed and the worst size. Skipped (with a line saying so) where valgrind is missing.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build = Path(os.environ.get("NVDP_BUILD_DIR", Path(__file__).resolve().parents[1] / "build"))
    parser.add_argument("--build-dir", type=Path, default=build)
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        print("Instructions per call: skipped (valgrind is not installed)")
        return 0
    work = Path(tempfile.mkdtemp(prefix="nvdp-callgrind-"))
    try:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/cg.%p",
                        str(args.build_dir / "bench" / "preferred-allocation-bench"), "--sim-root",
                        str(args.build_dir / "sim-root"), "--instructions"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        per_call = collections.defaultdict(dict)  # machine -> {(size, kind): instructions}
        # cg.<pid>.<n>: in the bench's order of machines.
        for dump in sorted(work.iterdir(), key=lambda path: int(path.name.rsplit(".", 1)[-1])):
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (\S+) (\d+) (\S+) (\d+)$", text, re.M)
            summary = re.search(r"^summary: (\d+)$", text, re.M)
            if trigger and summary:
                machine, size, kind, calls = trigger.groups()
                per_call[machine][(int(size), kind)] = int(summary.group(1)) / int(calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    kinds = ["index", "random", "must-include"]
    print("Instructions per call (callgrind, thousands), best-effort policy in process; "
          "index order / random order / with 1-3 must-include GPUs")
    for machine, counts in per_call.items():
        sizes = sorted({size for size, _ in counts})
        cells = [f"{size}: " + "/".join(f"{counts.get((size, kind), 0) / 1000:.0f}" for kind in kinds)
                 for size in sizes]
        print(f"  {machine:<11} " + "  ".join(cells))
        worst = max(counts.items(), key=lambda item: item[1])
        print(f"  {'':<11} worst: size {worst[0][0]} {worst[0][1]}, {worst[1] / 1000:.0f} thousand")
    return 0


if __name__ == "__main__":
    sys.exit(main())
