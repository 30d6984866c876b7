#!/usr/bin/env python3
"""make demo's DRA part: gpu-kubelet-plugin on the simulated node with the tests' fake API server
(HTTPS) and DRA kubelet emulator (unix sockets): the ResourceSlice it publishes, a claim for two
GPUs prepared (CDI IDs and the device nodes they resolve to), a time-sliced claim shared by two pods
(the compute mode and timeslice the simulated GPU got), a restart with a corrupt checkpoint
that keeps the claim, an XID reaching the kubelet's health stream, and the unprepare. Leaves
nothing behind."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from dra_kubelet import DraKubelet  # noqa: E402
from fake_apiserver import FakeApiServer, kubeconfig  # noqa: E402
from harness import BIN, SIM_ROOT, LoggedProcess, gpu_kubelet_plugin, profile as profile_of  # noqa: E402

NODE = "demo-node"
BOLD = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def bold(text):
    print(f"\n{BOLD[0]}== {text}{BOLD[1]}", flush=True)


def say(text, prefix="   "):
    for line in str(text).splitlines():
        print(prefix + line, flush=True)


def main():
    profile = os.environ.get("NVML_SIM_PROFILE", "dgx-a100")
    work = Path(tempfile.mkdtemp(prefix="nvdp-demo-dra-"))
    api = FakeApiServer().start()
    api.set_label(NODE, "kubernetes.io/hostname", NODE)
    (work / "faults").touch()
    argv, env = gpu_kubelet_plugin(
        work, NODE, kubeconfig(work / "kubeconfig", api.url), profile, work / "faults",
        env={"NVML_SIM_STATE": str(work / "gpu-settings"),
             "PATH": f"{SIM_ROOT / 'usr' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    plugins = []
    kubelet = None

    def start():
        plugin = LoggedProcess(argv, env, work / f"plugin-{len(plugins)}.log")
        plugins.append(plugin)
        return plugin

    def log(plugin, pattern):
        import re
        for line in plugin.log().splitlines():
            if re.search(pattern, line):
                say(line, "   plugin | ")

    try:
        bold(f"gpu-kubelet-plugin (DRA driver gpu.nvidia.com) on the simulated {profile}, "
             "with a fake API server and a DRA kubelet")
        plugin = start()
        kubelet = DraKubelet(work / "registry")
        info = kubelet.wait_registered()["info"]
        say(f"kubelet | GetInfo: type {info.type}, name {info.name}, versions {list(info.supported_versions)}")
        say(f"kubelet | endpoint {info.endpoint}")
        deadline = time.monotonic() + 10
        while not api.node_slices(NODE) and time.monotonic() < deadline:
            time.sleep(0.02)
        (slice_,) = api.node_slices(NODE)
        spec = slice_["spec"]
        bold(f"The ResourceSlice {slice_['metadata']['name']} (pool {spec['pool']['name']}, "
             f"generation {spec['pool']['generation']})")
        for device in spec["devices"]:
            a = device["attributes"]
            say(f"{device['name']}: {a['productName']['string']}, {a['uuid']['string']}, "
                f"{device['capacity']['memory']['value']}, PCI {a['resource.kubernetes.io/pciBusID']['string']}")

        bold("A ResourceClaim allocated gpu-0 and gpu-1 by the scheduler; the kubelet prepares it")
        api.add_claim("default", "training", "3f2a9c1e-demo", [("gpus", NODE, "gpu-0"), ("gpus", NODE, "gpu-1")])
        claim = ("default", "training", "3f2a9c1e-demo")
        result = kubelet.prepare([claim])["3f2a9c1e-demo"]
        cdi = json.loads((work / "cdi" / "k8s.gpu.nvidia.com-claim_3f2a9c1e-demo.json").read_text())
        nodes = {d["name"]: [n["path"] for n in d["containerEdits"]["deviceNodes"]] for d in cdi["devices"]}
        for device in result["devices"]:
            (cdi_id,) = device["cdi"]
            say(f"{device['device']} for request {device['requests'][0]}: {cdi_id} -> {nodes[cdi_id.split('=')[1]]}")
        say(f"spec {cdi['kind']} in cdi/{Path('k8s.gpu.nvidia.com-claim_3f2a9c1e-demo.json')}, "
            f"{len(cdi['containerEdits'].get('mounts', []))} driver files as common edits")
        other = ("default", "second", "8d1b-demo")
        api.add_claim("default", "second", "8d1b-demo", [("gpus", NODE, "gpu-1")])
        say(f"a second claim for gpu-1: {kubelet.prepare([other])['8d1b-demo']['error']}")

        bold("A claim for gpu-2 shared by two pods, time-sliced (GpuConfig, interval Long)")
        shared = ("default", "shared", "5a7e-demo")
        api.add_claim("default", "shared", "5a7e-demo", [("gpu", NODE, "gpu-2")], config=[
            {"source": "FromClaim", "requests": ["gpu"],
             "opaque": {"driver": "gpu.nvidia.com", "parameters": {
                 "apiVersion": "resource.nvidia.com/v1beta1", "kind": "GpuConfig",
                 "sharing": {"strategy": "TimeSlicing", "timeSlicingConfig": {"interval": "Long"}}}}}])
        for pod in ("pod-a", "pod-b"):  # the kubelet prepares it for the first; the second gets the same
            devices = kubelet.prepare([shared])["5a7e-demo"]["devices"]
            say(f"{pod}: {[d['cdi'][0] for d in devices]}")
        shown = subprocess.run([str(BIN / "nvml-sim"), "show", profile], env=env, capture_output=True,
                               text=True, check=True).stdout
        set_lines = shown[shown.index("Set by programs"):].split("\n\n")[0].splitlines()[1:]
        say("the simulated GPU (nvml-sim show, NVML_SIM_STATE):")
        say("\n".join(set_lines))
        broken = ("default", "typo", "7b1d-demo")
        api.add_claim("default", "typo", "7b1d-demo", [("gpu", NODE, "gpu-4")], config=[
            {"source": "FromClaim", "opaque": {"driver": "gpu.nvidia.com", "parameters": {
                "apiVersion": "resource.nvidia.com/v1beta1", "kind": "GpuConfig",
                "sharing": {"strategy": "MPS", "mpsConfig": {"defaultActiveThreadPercent": 50}}}}}])
        say(f"a claim with a typo: {kubelet.prepare([broken])['7b1d-demo']['error']}")

        bold("Restart with a corrupt checkpoint: the plugin moves it aside and rebuilds from the CDI specs")
        plugin.stop()
        (work / "plugins" / "gpu.nvidia.com" / "checkpoint.json").write_text("{ not json")
        plugin = start()
        kubelet.wait_registered(count=2)
        time.sleep(0.3)
        log(plugin, "unusable|Rebuilt|prepared claims after")
        again = kubelet.prepare([claim])["3f2a9c1e-demo"]
        say(f"prepare again: {[d['cdi'][0] for d in again['devices']]} (the same IDs)")

        bold("An XID on gpu-3: the kubelet's health stream says so, and gpu-3 is no longer prepared")
        stream = kubelet.watch_health()
        stream.wait(lambda entry: True)
        gpu3 = next(g["uuid"] for g in profile_of(profile)["gpus"] if g["minor"] == 3)
        with open(work / "faults", "a") as faults:
            faults.write(f"xid {gpu3} 79\n")
        entry = stream.wait(lambda e: e["gpu-3"][0] == "UNHEALTHY", timeout=5)
        say(f"kubelet | NodeWatchResources: gpu-3 {entry['gpu-3'][0]} ({entry['gpu-3'][1]}), "
            f"{sum(1 for v in entry.values() if v[0] == 'HEALTHY')} others HEALTHY")
        stream.close()
        api.add_claim("default", "third", "c0ffee-demo", [("gpus", NODE, "gpu-3")])
        refused = kubelet.prepare([("default", "third", "c0ffee-demo")])["c0ffee-demo"]["error"]
        say(f"a claim for gpu-3: {refused}")

        bold("The pods are gone: the kubelet unprepares the claims")
        say(f"unprepare: {kubelet.unprepare([claim, shared]) or 'ok'}")
        left = sorted(p.name for p in (work / "cdi").iterdir())
        say(f"CDI specs left: {left or 'none'}")
        plugin.stop()
        say("gpu-kubelet-plugin exited with status 0" if plugin.proc.returncode == 0
            else f"gpu-kubelet-plugin exited with status {plugin.proc.returncode}")
    finally:
        if kubelet:
            kubelet.close()
        for plugin in plugins:
            plugin.stop()
        api.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("\nMore: docs/dra.md (flags, slices, sharing, health and taints, the checkpoint, troubleshooting).")


if __name__ == "__main__":
    main()
