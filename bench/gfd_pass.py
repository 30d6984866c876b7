#!/usr/bin/env python3
"""One gpu-feature-discovery labelling pass on a simulated node (default dgx-a100): the wall time
of `gpu-feature-discovery --oneshot`, from spawning the process to its exit, which covers loading
NVML, reading every GPU and MIG device, computing the labels and writing the feature file."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import BIN, SIM_ROOT  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="dgx-a100")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--mig-strategy", default="none")
    args = parser.parse_args()
    env = dict(os.environ, NVML_SIM_PROFILE=args.profile, NVML_SIM_EVENTS="/nonexistent")
    env.pop("LD_LIBRARY_PATH", None)
    with tempfile.TemporaryDirectory(prefix="nvdp-bench-gfd-") as work:
        out = Path(work) / "gfd"
        times = []
        for _ in range(args.runs):
            start = time.monotonic()
            subprocess.run([str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT),
                            "--oneshot", "--output-file", str(out), "--mig-strategy", args.mig_strategy], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append((time.monotonic() - start) * 1000)
        labels = len(out.read_text().splitlines())
    times.sort()
    print(f"gpu-feature-discovery --oneshot on {args.profile}, MIG strategy {args.mig_strategy} ({labels} labels, {args.runs} runs): "
          f"median {statistics.median(times):.1f} ms, p90 {times[int(0.9 * (len(times) - 1))]:.1f} ms, "
          f"min {times[0]:.1f} ms")


if __name__ == "__main__":
    main()
