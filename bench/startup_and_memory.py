#!/usr/bin/env python3
"""Device plugin start-up, memory and RPC latency on a simulated node (default: dgx-a100).

For each of --runs starts: time from spawning the process to the kubelet emulator receiving
Register (both on CLOCK_MONOTONIC), the time to the first device list, then VmRSS/RssAnon/RssFile
after --idle seconds, and the time SIGTERM takes. Then, on one plugin: Allocate and
GetPreferredAllocation latency against GetDevicePluginOptions (the cheapest call) measured in the
same run by the same client, so the ratio holds on a noisy machine. Last, VmRSS and RssAnon before
and after a burst of --burst GetPreferredAllocation calls as the kubelet sends them (every size,
the devices in random order, a third with must-include devices; seeded).
"""
import argparse
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import BIN, GPU, Emulator, Plugin, monotonic_ms  # noqa: E402


def status_kb(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                fields[key] = int(value.split()[0])
    return fields


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(name, values, unit):
    return (f"{name:<38} median {statistics.median(values):8.1f} {unit}   p90 {pct(values, 90):8.1f}"
            f"   min {min(values):8.1f}   max {max(values):8.1f}   (n={len(values)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="dgx-a100")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle", type=float, default=2.0)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--burst", type=int, default=10000)
    parser.add_argument("--multicall", action="store_true",
                        help="the image's binary: build/bin/nvdp called as nvidia-device-plugin")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="nvdp-bench-"))
    (work / "dp").mkdir()
    binary = BIN / "nvidia-device-plugin"
    if args.multicall:
        binary = work / "nvidia-device-plugin"
        binary.symlink_to(BIN / "nvdp")
    emulator = Emulator(work / "dp")
    registered, listed, stops, rss, anon, file_rss, threads = [], [], [], [], [], [], []
    try:
        gpus = None
        for _ in range(args.runs):
            before = len(emulator.registrations())
            lists_before = len(emulator.device_lists())
            plugin = Plugin(work, args.profile, binary=binary)
            reply = emulator.send(f"wait registered {GPU} count={before + 1} timeout=10")
            assert reply["ok"], reply
            registered.append(emulator.registrations()[-1]["t_ms"] - plugin.started_ms)
            deadline = time.monotonic() + 5
            while len(emulator.device_lists()) <= lists_before and time.monotonic() < deadline:
                time.sleep(0.001)
            listed.append(emulator.device_lists()[-1]["t_ms"] - plugin.started_ms)
            gpus = emulator.device_lists()[-1]["total"]
            time.sleep(args.idle)
            status = status_kb(plugin.proc.pid)
            rss.append(status["VmRSS"] / 1024)
            anon.append(status["RssAnon"] / 1024)
            file_rss.append(status["RssFile"] / 1024)
            threads.append(status["Threads"])
            start = time.monotonic()
            plugin.signal(signal.SIGTERM)
            assert plugin.wait(5) == 0
            stops.append((time.monotonic() - start) * 1000)

        before = len(emulator.registrations())
        plugin = Plugin(work, args.profile, binary=binary)
        assert emulator.send(f"wait registered {GPU} count={before + 1} timeout=10")["ok"]
        assert emulator.send(f"wait devices {GPU} {gpus} timeout=5")["ok"]
        ping, alloc, preferred = [], [], []
        for _ in range(args.calls):
            ping.append(emulator.send(f"ping {GPU}")["latency_us"])
            alloc.append(emulator.send(f"allocate {GPU} 2")["latency_us"])
            preferred.append(emulator.send(f"preferred {GPU} 2")["latency_us"])
        before_burst = status_kb(plugin.proc.pid)
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        shuffle = random.Random(args.profile)
        for i in range(args.burst):
            shuffle.shuffle(ids)
            size = 1 + i % len(ids)
            must = f" must={ids[0]}" if i % 3 == 0 else ""
            reply = emulator.send(f"preferred {GPU} {size} available={','.join(ids)}{must}")
            assert reply["ok"] and len(reply["devices"]) == size, reply
        after_burst = status_kb(plugin.proc.pid)
        plugin.stop()
        version = subprocess.run([str(binary), "--version"], capture_output=True,
                                 text=True).stdout.splitlines()[0]
    finally:
        emulator.close()
        subprocess.run(["rm", "-rf", str(work)])

    name = "nvidia-device-plugin (the image's multi-call nvdp)" if args.multicall else "nvidia-device-plugin"
    print(f"{name} {version} on simulated {args.profile} ({gpus} GPUs), {args.runs} starts")
    print(summary("start to registered", registered, "ms"))
    print(summary("start to first device list", listed, "ms"))
    print(summary(f"idle VmRSS after {args.idle:g} s", rss, "MiB"))
    print(summary("  of which RssAnon (private heap)", anon, "MiB"))
    print(summary("  of which RssFile (mapped binary)", file_rss, "MiB"))
    print(summary("threads", threads, ""))
    print(summary("SIGTERM to exit", stops, "ms"))
    print(f"RPC latency over the unix socket, client side, {args.calls} calls each:")
    print(summary("GetDevicePluginOptions (baseline)", ping, "us"))
    print(summary("Allocate (2 GPUs)", alloc, "us"))
    print(summary(f"GetPreferredAllocation (2 of {gpus})", preferred, "us"))
    print(f"memory around {args.burst} GetPreferredAllocation calls (every size, random order, a third "
          f"with must-include): VmRSS {before_burst['VmRSS'] / 1024:.1f} -> {after_burst['VmRSS'] / 1024:.1f} MiB, "
          f"RssAnon {before_burst['RssAnon'] / 1024:.1f} -> {after_burst['RssAnon'] / 1024:.1f} MiB")
    base = statistics.median(ping)
    print(f"ratios to the baseline (median): Allocate {statistics.median(alloc) / base:.2f}x, "
          f"GetPreferredAllocation {statistics.median(preferred) / base:.2f}x")


if __name__ == "__main__":
    main()
