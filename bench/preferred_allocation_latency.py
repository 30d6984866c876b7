#!/usr/bin/env python3
"""GetPreferredAllocation latency over the real unix socket, per simulated machine and request
size, against an empty unary round trip (GetDevicePluginOptions) measured in the same run by the
same client: each preferred call is paired with a baseline call, so both see the same noise.

The available devices go in a new seeded random order on every call (the kubelet builds the list
from a Go map), every GPU available. The kubelet emulator times each call around the gRPC stub
(client side); the plugin is the real binary on the NVML simulator. Also: 8 GPUs x 10
time-sliced replicas (80 devices).
"""
import argparse
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import GPU, Emulator, Plugin, profile  # noqa: E402

PROFILES = ["pcie-4xt4", "dgx1-v100", "dgx-a100", "v100-16gpu", "v100-24gpu", "a100-32gpu"]


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(work, profile_name, sizes_of, calls, args=(), replicas=1):
    """Starts the plugin, returns [(size, preferred latencies, baseline latencies)]."""
    (work / "dp").mkdir(exist_ok=True)
    emulator = Emulator(work / "dp")
    plugin = Plugin(work, profile_name, args=list(args))
    try:
        devices = len(profile(profile_name)["gpus"]) * replicas
        assert emulator.send(f"wait devices {GPU} {devices} healthy={devices} timeout=10")["ok"]
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        shuffle = random.Random(f"{profile_name}-{replicas}")
        rows = []
        for size in sizes_of(devices):
            preferred, baseline = [], []
            for _ in range(calls):
                shuffle.shuffle(ids)
                base = emulator.send(f"ping {GPU}")
                pref = emulator.send(f"preferred {GPU} {size} available={','.join(ids)}")
                assert base["ok"] and pref["ok"] and len(pref["devices"]) == size, pref
                baseline.append(base["latency_us"])
                preferred.append(pref["latency_us"])
            rows.append((size, preferred, baseline))
        return devices, rows
    finally:
        plugin.stop()
        emulator.close()


def report(title, devices, rows):
    print(f"{title} ({devices} devices)")
    print(f"  {'size':>4} {'preferred p50':>14} {'p99':>9} {'baseline p50':>13} {'p99':>9} {'p50 ratio':>10}"
          f" {'p99 ratio':>10}")
    worst = (0.0, 0.0)
    for size, preferred, baseline in rows:
        ratio = statistics.median(preferred) / statistics.median(baseline)
        ratio99 = pct(preferred, 99) / pct(baseline, 99)
        worst = (max(worst[0], ratio), max(worst[1], ratio99))
        print(f"  {size:>4} {statistics.median(preferred):>11.0f} us {pct(preferred, 99):>6.0f} us"
              f" {statistics.median(baseline):>10.0f} us {pct(baseline, 99):>6.0f} us {ratio:>9.2f}x"
              f" {ratio99:>9.2f}x")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="calls per size (default 200)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nvdp-bench-preferred-"))
    try:
        print(f"GetPreferredAllocation over the unix socket, {args.calls} calls per size; baseline = "
              "GetDevicePluginOptions, interleaved")
        worst = {}
        for profile in PROFILES:
            devices, rows = measure(work, profile, lambda n: range(1, n + 1), args.calls)
            worst[profile] = report(profile, devices, rows)
        config = work / "replicas.yaml"
        config.write_text("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 10}]}}\n")
        devices, rows = measure(work, "dgx-a100", lambda n: [1, 2, 4, 8, 16, 40, 80], args.calls,
                                args=["--config-file", str(config)], replicas=10)
        worst["dgx-a100 x 10 replicas"] = report("dgx-a100, 10 replicas per GPU (distributed)", devices, rows)
        print("worst ratio to the baseline, p50 / p99: " +
              ", ".join(f"{name} {p50:.2f}x / {p99:.2f}x" for name, (p50, p99) in worst.items()))
    finally:
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
