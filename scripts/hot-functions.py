#!/usr/bin/env python3
"""Regenerates cmake/hot-functions.txt: the functions the programs run while they serve, as lld's
--symbol-ordering-file. The release link puts them next to each other at the front of the text,
so the pages a serving process touches hold little else (file-backed resident memory: about
2 MiB less for the device plugin, docs/performance.md).

Runs the release build's programs under callgrind on the simulator: nvidia-device-plugin on
dgx-a100 against the kubelet emulator (registration, ListAndWatch, Allocate, GetPreferredAllocation
in the orders the kubelet sends, the health monitor's event wait, SIGTERM) and
gpu-feature-discovery --oneshot on a100-mig-mixed. Every function callgrind saw run in the
program's own binary is listed. A stale list is harmless: names that no longer exist are skipped,
new functions are laid out after the listed ones. Needs valgrind and a release build.

  scripts/hot-functions.py [--build build]
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "cmake" / "hot-functions.txt"


def callgrind(out):
    return ["valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no",
            "--compress-pos=no", "--demangle=no", f"--callgrind-out-file={out}"]


def functions_in(profile, program):
    """Mangled names of the functions that ran in `program`'s own binary."""
    names, current = set(), None
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                current = line[3:].strip()
            elif line.startswith("fn=") and current and Path(current).name == program:
                name = line[3:].strip()
                if not name.startswith(("0x", "(")):  # unnamed code, "(below main)"
                    names.add(name)
    return names


def run_device_plugin(work, harness):
    out = work / "plugin.callgrind"
    (work / "dp").mkdir()
    emulator = harness.Emulator(work / "dp")
    gpu = harness.GPU
    try:
        plugin = harness.Plugin(work, "dgx-a100", wrapper=callgrind(out))
        assert emulator.send(f"wait registered {gpu} count=1 timeout=120")["ok"], "no registration"
        assert emulator.send(f"wait devices {gpu} 8 timeout=60")["ok"], "no device list"
        for _ in range(20):
            emulator.send(f"ping {gpu}")
            emulator.send(f"allocate {gpu} 2")
            emulator.send(f"preferred {gpu} 2")
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        shuffle = random.Random(1)
        for i in range(200):
            shuffle.shuffle(ids)
            must = f" must={ids[0]}" if i % 3 == 0 else ""
            emulator.send(f"preferred {gpu} {1 + i % len(ids)} available={','.join(ids)}{must}")
        plugin.signal(signal.SIGTERM)
        assert plugin.wait(120) == 0, "the plugin did not exit cleanly"
    finally:
        emulator.close()
    return functions_in(out, "nvidia-device-plugin")


def run_gfd(work, harness):
    out = work / "gfd.callgrind"
    env = dict(os.environ, NVML_SIM_PROFILE="a100-mig-mixed", NVML_SIM_EVENTS="/nonexistent")
    env.pop("LD_LIBRARY_PATH", None)
    subprocess.run([*callgrind(out), str(harness.BIN / "gpu-feature-discovery"),
                    "--driver-root-ctr-path", str(harness.SIM_ROOT), "--oneshot",
                    "--output-file", str(work / "labels"), "--mig-strategy", "mixed"],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return functions_in(out, "gpu-feature-discovery")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build"))
    args = parser.parse_args()
    os.environ["NVDP_BUILD_DIR"] = str(Path(args.build).resolve())
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import harness  # noqa: E402 (reads NVDP_BUILD_DIR)

    with tempfile.TemporaryDirectory(prefix="nvdp-hot-") as work:
        plugin = run_device_plugin(Path(work), harness)
        gfd = run_gfd(Path(work), harness)
    # The device plugin first: it is the program whose memory the targets are about.
    ordered = sorted(plugin) + sorted(gfd - plugin)
    OUTPUT.write_text("\n".join(ordered) + "\n")
    print(f"{OUTPUT.relative_to(ROOT)}: {len(plugin)} functions of the device plugin, "
          f"{len(gfd - plugin)} more of gpu-feature-discovery")


if __name__ == "__main__":
    main()
