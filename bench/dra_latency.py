#!/usr/bin/env python3
"""gpu-kubelet-plugin on the simulated dgx-a100 with the DRA kubelet emulator (tests/e2e/
dra_kubelet.py, Python gRPC over the plugin's unix socket) and the tests' fake API server (HTTPS):

- start to first ResourceSlice: from spawning the plugin to the API server storing its slice;
- NodePrepareResources latency, client side, for an empty request (the baseline round trip on the
  same socket), one claim of one GPU, and eight one-GPU claims in one call. Each prepare is of new
  claims: it reads them from the API server, writes their CDI specs and the checkpoint (fsync);
  they are unprepared between rounds, outside the timing.
- XID to the kubelet's health stream: from appending an XID to the simulator's fault file to the
  NodeWatchResources list that marks the GPU unhealthy arriving at the emulator (each GPU once).
Ratios are to the empty round trip's percentile of the same run.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from dra_kubelet import DraKubelet  # noqa: E402
from fake_apiserver import FakeApiServer, kubeconfig  # noqa: E402
from harness import LoggedProcess, gpu_kubelet_plugin, profile as profile_of  # noqa: E402

NODE = "bench-node"


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def start(work, api, profile, extra=()):
    (work / "faults").touch()
    argv, env = gpu_kubelet_plugin(work, NODE, kubeconfig(work / "kubeconfig", api.url), profile,
                                   work / "faults", args=extra)
    return LoggedProcess(argv, env, work / f"plugin-{time.monotonic_ns()}.log")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="dgx-a100")
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nvdp-bench-dra-"))
    api = FakeApiServer().start()
    api.set_label(NODE, "kubernetes.io/hostname", NODE)
    try:
        first_slice = []
        for _ in range(args.starts):
            api.delete_slices(NODE)
            t0 = time.monotonic()
            plugin = start(work, api, args.profile)
            while not api.node_slices(NODE):
                time.sleep(0.0005)
            first_slice.append((time.monotonic() - t0) * 1000)
            plugin.stop()
        # No client-side rate limit: the default (5 QPS, burst 10) would pace these back-to-back
        # rounds at 5 claim reads a second.
        plugin = start(work, api, args.profile, ["--kube-api-qps", "0"])
        kubelet = DraKubelet(work / "registry")
        kubelet.wait_registered()
        for i in range(8):
            api.add_claim("bench", f"c{i}", f"uid-c{i}", [("gpu", NODE, f"gpu-{i}")])
        # Time-sliced: nvmlDeviceSetComputeMode and one nvidia-smi (the simulator's fake) per GPU.
        api.add_claim("bench", "ts", "uid-ts", [("gpu", NODE, "gpu-0")], config=[
            {"source": "FromClaim", "opaque": {"driver": "gpu.nvidia.com", "parameters": {
                "apiVersion": "resource.nvidia.com/v1beta1", "kind": "GpuConfig",
                "sharing": {"strategy": "TimeSlicing", "timeSlicingConfig": {"interval": "Long"}}}}}])
        times = {"empty": [], "1 claim, 1 GPU": [], "8 claims, 1 GPU each": [], "1 time-sliced claim, 1 GPU": []}
        claims = [("bench", f"c{i}", f"uid-c{i}") for i in range(8)]
        batches = (("empty", []), ("1 claim, 1 GPU", claims[:1]), ("8 claims, 1 GPU each", claims),
                   ("1 time-sliced claim, 1 GPU", [("bench", "ts", "uid-ts")]))
        for _ in range(args.rounds):
            for name, batch in batches:
                t0 = time.perf_counter()
                result = kubelet.prepare(batch)
                times[name].append((time.perf_counter() - t0) * 1e6)
                assert all(not r["error"] for r in result.values()), result
                if batch:
                    kubelet.unprepare(batch)
        # XID -> health stream, on the same plugin: every GPU once.
        gpus = [(g["minor"], g["uuid"]) for g in profile_of(args.profile)["gpus"]]
        stream = kubelet.watch_health()
        stream.wait(lambda entry: True)
        xid_ms = []
        for minor, uuid in gpus:
            sent = time.monotonic()
            with open(work / "faults", "a") as faults:
                faults.write(f"xid {uuid} 79\n")
            name = f"gpu-{minor}"
            stream.wait(lambda entry, name=name: entry[name][0] == "UNHEALTHY", timeout=5)
            arrived = next(t for t, e in stream.lists if e[name][0] == "UNHEALTHY")
            xid_ms.append((arrived - sent) * 1000)
        stream.close()
        kubelet.close()
        plugin.stop()
    finally:
        api.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"## gpu-kubelet-plugin on {args.profile}: {args.starts} starts, {args.rounds} rounds")
    print(f"start to first ResourceSlice: median {pct(first_slice, 50):.0f} ms, p90 {pct(first_slice, 90):.0f} ms")
    print(f"XID to the kubelet's health stream ({len(xid_ms)} GPUs): median {pct(xid_ms, 50):.1f} ms, "
          f"max {max(xid_ms):.1f} ms")
    base50, base99 = pct(times["empty"], 50), pct(times["empty"], 99)
    print("| NodePrepareResources | p50 µs | p99 µs | p50 ratio | p99 ratio |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        p50, p99 = pct(values, 50), pct(values, 99)
        print(f"| {name} | {p50:.0f} | {p99:.0f} | {p50 / base50:.2f} | {p99 / base99:.2f} |")


if __name__ == "__main__":
    main()
