#!/usr/bin/env python3
"""How fast a GPU failure reaches the kubelet: from appending an XID to the simulator's fault
file to the kubelet emulator receiving the ListAndWatch update that marks the GPU Unhealthy
(both CLOCK_MONOTONIC, milliseconds). The path: the simulator notices the line (it polls its
fault file every 5 ms), delivers the NVML event, the health monitor's event wait returns, the
registry wakes every ListAndWatch stream, the list is sent over the unix socket.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import GPU, Emulator, Plugin, monotonic_ms, profile  # noqa: E402


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="dgx-a100")
    parser.add_argument("--runs", type=int, default=10, help="plugin starts, each failing every GPU once")
    args = parser.parse_args()
    gpus = len(profile(args.profile)["gpus"])
    latencies = []
    for _ in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="nvdp-bench-health-"))
        (work / "dp").mkdir()
        emulator = Emulator(work / "dp")
        plugin = Plugin(work, args.profile)
        try:
            assert emulator.send(f"wait devices {GPU} {gpus} healthy={gpus} timeout=10")["ok"]
            plugin.wait_log(r"Watching|Registered")
            for gpu in range(gpus):
                injected = monotonic_ms()
                plugin.inject(f"xid {gpu} 48")
                reply = emulator.send(f"wait devices {GPU} {gpus} healthy={gpus - gpu - 1} timeout=5")
                assert reply["ok"], reply
                latencies.append(emulator.device_lists()[-1]["t_ms"] - injected)
        finally:
            plugin.stop()
            emulator.close()
            subprocess.run(["rm", "-rf", str(work)])
    print(f"XID to ListAndWatch update ({args.profile}, {args.runs} starts x {gpus} GPUs): "
          f"median {statistics.median(latencies):.0f} ms, p90 {pct(latencies, 90):.0f} ms, "
          f"max {max(latencies):.0f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
