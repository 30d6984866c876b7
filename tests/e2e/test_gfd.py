"""gpu-feature-discovery end to end: the real binary on every simulated machine, every MIG
strategy and sharing setting, compared with label sets derived by hand from spec §7.

The machine facts below are transcribed by hand from sim/profiles/*.yaml; the rules that turn
them into labels are spec §7.3-7.7 written out again in Python, independently of the C++ code.
Two complete label files (tests/e2e/golden/) anchor the rules themselves.
"""
import os
import signal
import subprocess
import time
import unittest
from pathlib import Path

from harness import BIN, SIM_ROOT, SIM_ROOT_TEGRA

GOLDEN = Path(__file__).parent / "golden"

# Per MIG device profile: memory, multiprocessors, slices.gi, slices.ci, copy, decoder, encoder,
# jpeg, ofa (nvmlDeviceGetAttributes of the simulated MIG device).
A100_MIG = {
    "1g.5gb": (4864, 14, 1, 1, 1, 0, 0, 0, 0),
    "1g.5gb.me": (4864, 14, 1, 1, 1, 1, 0, 1, 1),
    "1g.10gb": (9856, 14, 1, 1, 1, 1, 0, 0, 0),
    "2g.10gb": (9856, 28, 2, 2, 2, 1, 0, 0, 0),
    "3g.20gb": (19968, 42, 3, 3, 3, 2, 0, 0, 0),
    "2c.4g.20gb": (19968, 28, 4, 2, 4, 2, 0, 0, 0),
    "7g.40gb": (40192, 98, 7, 7, 7, 5, 0, 1, 1),
}
H100_MIG = {
    "1g.10gb": (9728, 16, 1, 1, 1, 1, 0, 1, 0),
    "1g.10gb.me": (9728, 16, 1, 1, 1, 1, 0, 1, 1),
    "1g.20gb": (19968, 16, 1, 1, 1, 1, 0, 1, 0),
    "2g.20gb": (19968, 32, 2, 2, 2, 2, 0, 2, 0),
    "3g.40gb": (40448, 60, 3, 3, 3, 3, 0, 3, 0),
    "4g.40gb": (40448, 64, 4, 4, 4, 4, 0, 4, 0),
    "7g.80gb": (80896, 132, 7, 7, 8, 7, 0, 7, 1),
}
A100 = ("NVIDIA-A100-SXM4-40GB", 40960, 8, 0)
H100 = ("NVIDIA-H100-80GB-HBM3", 81559, 9, 0)
V100_16 = ("Tesla-V100-SXM2-16GB", 16160, 7, 0)
V100_32 = ("Tesla-V100-SXM2-32GB", 32768, 7, 0)
T4 = ("Tesla-T4", 15360, 7, 5)
GB200 = ("NVIDIA-GB200", 189471, 10, 0)

# gpus: (model, MIG devices or None when MIG is off).
PROFILES = {
    "dgx-a100": dict(driver="550.127.05", cuda="12.4", machine="NVIDIA-DGX-A100", mig_capable=True,
                     gpus=[(A100, None)] * 8),
    "a100-mig-mixed": dict(driver="550.127.05", cuda="12.4", machine="NVIDIA-DGX-A100", mig_capable=True,
                           mig_attributes=A100_MIG,
                           gpus=[(A100, ["3g.20gb", "2g.10gb", "1g.5gb", "1g.5gb"]), (A100, ["7g.40gb"]),
                                 (A100, ["2c.4g.20gb", "2c.4g.20gb", "2g.10gb", "1g.5gb"]),
                                 (A100, ["1g.5gb.me", "1g.10gb", "1g.10gb", "1g.5gb"])] + [(A100, None)] * 4),
    "a100-mig-single": dict(driver="550.127.05", cuda="12.4", machine="NVIDIA-DGX-A100", mig_capable=True,
                            mig_attributes=A100_MIG, gpus=[(A100, ["2g.10gb"] * 3)] * 8),
    "h100-sxm": dict(driver="550.90.07", cuda="12.4", machine="NVIDIA-DGX-H100", mig_capable=True,
                     gpus=[(H100, None)] * 8),
    "h100-mig": dict(driver="550.90.07", cuda="12.4", machine="NVIDIA-DGX-H100", mig_capable=True,
                     mig_attributes=H100_MIG,
                     gpus=[(H100, ["7g.80gb"]), (H100, ["7g.80gb"]), (H100, ["3g.40gb", "2g.20gb", "1g.20gb"]),
                           (H100, ["4g.40gb", "3g.40gb"]),
                           (H100, ["1g.10gb", "1g.10gb.me", "1g.10gb", "1g.20gb", "2g.20gb"])] + [(H100, None)] * 3),
    "dgx1-v100": dict(driver="535.183.01", cuda="12.2", machine="NVIDIA-DGX-1", mig_capable=False,
                      gpus=[(V100_16, None)] * 8),
    "v100-16gpu": dict(driver="535.183.01", cuda="12.2", machine="SYS-4029GP-TVRT-two-NVLink-boards",
                       mig_capable=False, gpus=[(V100_32, None)] * 16),
    "pcie-4xt4": dict(driver="535.183.01", cuda="12.2", machine="PowerEdge-R740", mig_capable=False,
                      gpus=[(T4, None)] * 4),
    "gb200-nvl": dict(driver="570.124.06", cuda="12.8", machine="GB200-NVL72-Compute-Tray", mig_capable=False,
                      clique="4f2a0e7c-31b6-4d3e-9a8f-6c1d2b7e5a90.32766", gpus=[(GB200, None)] * 4),
    "none": dict(gpus=[]),
}

SHARING = {
    "none": "",
    "time-slicing": "sharing:\n  timeSlicing:\n    resources:\n"
                    "      - {name: nvidia.com/gpu, replicas: 4}\n"
                    "      - {name: nvidia.com/mig-1g.5gb, replicas: 2}\n",
    "time-slicing-renamed": "sharing:\n  timeSlicing:\n    renameByDefault: true\n    resources:\n"
                            "      - {name: nvidia.com/gpu, replicas: 4}\n"
                            "      - {name: nvidia.com/mig-1g.5gb, replicas: 2}\n",
    "mps": "sharing:\n  mps:\n    resources:\n      - {name: nvidia.com/gpu, replicas: 4}\n",
}


class LabelError(Exception):
    pass


def family(major, minor):
    table = {1: "tesla", 2: "fermi", 3: "kepler", 5: "maxwell", 6: "pascal", 9: "hopper",
             10: "blackwell", 12: "blackwell"}
    if major == 7:
        return "volta" if minor < 5 else "turing"
    if major == 8:
        return "ampere" if minor < 9 else "ada-lovelace"
    return table.get(major, "undefined")


def sharing_of(sharing, resource, enabled=True):
    """(replicas, renamed, strategy) of §7.4 for one resource."""
    if not enabled:
        return 0, False, "none"
    replicas = {"none": {}, "mps": {"nvidia.com/gpu": 4}}.get(
        sharing, {"nvidia.com/gpu": 4, "nvidia.com/mig-1g.5gb": 2}).get(resource, 1)
    renamed = sharing == "time-slicing-renamed" and resource in ("nvidia.com/gpu", "nvidia.com/mig-1g.5gb")
    strategy = ("mps" if sharing == "mps" else "time-slicing") if replicas > 1 else "none"
    return replicas, renamed, strategy


def put_shared(labels, resource, base, count, shared):
    replicas, renamed, strategy = shared
    labels[f"{resource}.product"] = base + ("-SHARED" if replicas > 1 and not renamed else "")
    labels[f"{resource}.count"] = str(count)
    labels[f"{resource}.replicas"] = str(replicas)
    labels[f"{resource}.sharing-strategy"] = strategy


def put_mig(labels, resource, model, profile, count, attributes, sharing):
    put_shared(labels, resource, f"{model[0]}-MIG-{profile}", count, sharing_of(sharing, resource))
    names = ["memory", "multiprocessors", "slices.gi", "slices.ci", "engines.copy", "engines.decoder",
             "engines.encoder", "engines.jpeg", "engines.ofa"]
    for name, value in zip(names, attributes[profile]):
        labels[f"{resource}.{name}"] = str(value)


def expected_labels(name, strategy, sharing):
    p = PROFILES[name]
    labels = {"nvidia.com/vgpu.present": "false"}
    gpus = p["gpus"]
    if not gpus:
        return labels
    major, minor, rev = p["driver"].split(".")
    cuda_major, cuda_minor = p["cuda"].split(".")
    labels.update({
        "nvidia.com/gpu.machine": p["machine"],
        "nvidia.com/cuda.driver.major": major, "nvidia.com/cuda.driver.minor": minor,
        "nvidia.com/cuda.driver.rev": rev,
        "nvidia.com/cuda.driver-version.major": major, "nvidia.com/cuda.driver-version.minor": minor,
        "nvidia.com/cuda.driver-version.revision": rev, "nvidia.com/cuda.driver-version.full": p["driver"],
        "nvidia.com/cuda.runtime.major": cuda_major, "nvidia.com/cuda.runtime.minor": cuda_minor,
        "nvidia.com/cuda.runtime-version.major": cuda_major,
        "nvidia.com/cuda.runtime-version.minor": cuda_minor,
        "nvidia.com/cuda.runtime-version.full": p["cuda"],
        "nvidia.com/mig.capable": "true" if p["mig_capable"] else "false",
        "nvidia.com/gpu.mode": "compute",
    })
    any_mig = any(migs is not None for _, migs in gpus)
    if sharing == "mps" and any_mig:
        raise LabelError("MPS sharing is not supported for mig devices")
    labels["nvidia.com/mps.capable"] = "true" if sharing == "mps" else "false"

    # §7.4: MIG-enabled models without sharing, then MIG-disabled ones with it.
    count = {}
    for model, _ in gpus:
        count[model] = count.get(model, 0) + 1
    for enabled in (True, False):
        for model in dict.fromkeys(m for m, migs in gpus if (migs is not None) == enabled):
            resource = "nvidia.com/gpu"
            put_shared(labels, resource, model[0], count[model], sharing_of(sharing, resource, not enabled))
            labels[f"{resource}.memory"] = str(model[1])
            labels[f"{resource}.family"] = family(model[2], model[3])
            labels[f"{resource}.compute.major"] = str(model[2])
            labels[f"{resource}.compute.minor"] = str(model[3])

    # §7.5
    groups = {}
    for model, migs in gpus:
        for profile in migs or []:
            groups.setdefault(profile, [model, 0])[1] += 1
    if strategy == "mixed":
        labels["nvidia.com/mig.strategy"] = "mixed"
        for profile, (model, n) in groups.items():
            put_mig(labels, f"nvidia.com/mig-{profile}", model, profile, n, p["mig_attributes"], sharing)
    elif strategy == "single":
        labels["nvidia.com/mig.strategy"] = "single"
        enabled = [(m, migs) for m, migs in gpus if migs is not None]
        if enabled:
            if any(not migs for _, migs in enabled) or len(enabled) != len(gpus) or len(groups) != 1:
                labels.update({"nvidia.com/gpu.product": f"{enabled[0][0][0]}-MIG-INVALID",
                               "nvidia.com/gpu.count": "0", "nvidia.com/gpu.replicas": "0",
                               "nvidia.com/gpu.sharing-strategy": "", "nvidia.com/gpu.memory": "0"})
            else:
                (profile, (model, n)), = groups.items()
                put_mig(labels, "nvidia.com/gpu", model, profile, n, p["mig_attributes"], sharing)
    if p.get("clique"):
        labels["nvidia.com/gpu.clique"] = p["clique"]
    return labels


def parse(text):
    labels = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        assert sep, f"not key=value: {line!r}"
        assert key not in labels, f"duplicate {key}"
        labels[key] = value
    return labels


class GfdBase(unittest.TestCase):
    """Runs gpu-feature-discovery on the simulator; no tests of its own."""

    def setUp(self):
        import tempfile
        self.tmp = Path(tempfile.mkdtemp(prefix="nvdp-gfd-"))

    def tearDown(self):
        subprocess.run(["rm", "-rf", str(self.tmp)])

    def machine_file(self, profile):
        root = self.tmp / f"root-{profile}"
        if not root.exists():
            subprocess.run([str(BIN / "nvml-sim"), "root", "--out", str(root), profile], check=True)
        return root / "sys/class/dmi/id/product_name"

    def gfd(self, profile, *args, sharing="none", env=None, wait=True, config_text=None):
        config = self.tmp / f"config-{sharing}.yaml"
        config.write_text(config_text or SHARING[sharing] or "version: v1\n")
        full_env = dict(os.environ, NVML_SIM_PROFILE=profile, NVML_SIM_EVENTS="/nonexistent")
        full_env.pop("LD_LIBRARY_PATH", None)
        full_env.update(env or {})
        argv = [str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT),
                "--config-file", str(config)]
        if profile in PROFILES:
            argv += ["--machine-type-file", str(self.machine_file(profile))]
        argv += list(args)
        if not wait:
            return subprocess.Popen(argv, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=30)

    def labels_on_root(self, root, machine_type, *args, profile=None):
        """One --oneshot pass on a driver root of the test's own; its labels (exit 0 asserted)."""
        out, machine = self.tmp / "root-labels", self.tmp / "machine"
        machine.write_text(machine_type + "\n")
        env = dict(os.environ, NVML_SIM_PROFILE=profile) if profile else dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        result = subprocess.run([str(BIN / "gpu-feature-discovery"), "--oneshot", "--driver-root-ctr-path", str(root),
                                 "--machine-type-file", str(machine), "--output-file", str(out), *args],
                                env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        labels = parse(out.read_text())
        out.unlink()
        return labels

    def oneshot(self, profile, strategy="none", sharing="none", extra=()):
        out = self.tmp / f"{profile}-{strategy}-{sharing}"
        result = self.gfd(profile, "--oneshot", f"--mig-strategy={strategy}", "--output-file", str(out),
                          *extra, sharing=sharing)
        return result, out


class GfdTest(GfdBase):
    def test_every_profile_strategy_and_sharing(self):
        for profile in PROFILES:
            for strategy in ("none", "single", "mixed"):
                for sharing in SHARING:
                    with self.subTest(profile=profile, strategy=strategy, sharing=sharing):
                        result, out = self.oneshot(profile, strategy, sharing)
                        try:
                            expected = expected_labels(profile, strategy, sharing)
                        except LabelError as error:
                            self.assertEqual(result.returncode, 1, result.stderr)
                            self.assertIn(str(error), result.stderr)
                            self.assertFalse(out.exists())
                            continue
                        self.assertEqual(result.returncode, 0, result.stderr)
                        labels = parse(out.read_text())
                        self.assertRegex(labels.pop("nvidia.com/gfd.timestamp"), r"^[0-9]{10}$")
                        self.assertEqual(labels, expected)
                        self.assertEqual(oct(out.stat().st_mode & 0o777), "0o644")

    def test_golden_files(self):
        for name, profile, strategy, sharing in [
            ("dgx-a100.txt", "dgx-a100", "none", "none"),
            ("a100-mig-mixed-mixed-time-slicing.txt", "a100-mig-mixed", "mixed", "time-slicing"),
        ]:
            with self.subTest(golden=name):
                result, out = self.oneshot(profile, strategy, sharing, extra=["--no-timestamp"])
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(out.read_text(), (GOLDEN / name).read_text())

    def test_stdout_when_the_output_path_is_empty(self):
        result = self.gfd("pcie-4xt4", "--oneshot", "--output-file", "", "--no-timestamp")
        self.assertEqual(result.returncode, 0, result.stderr)
        labels = parse(result.stdout)
        self.assertEqual(labels["nvidia.com/gpu.product"], "Tesla-T4")
        self.assertNotIn("nvidia.com/gfd.timestamp", labels)

    def test_loop_rewrites_keeps_the_timestamp_and_removes_the_file_on_sigterm(self):
        out = self.tmp / "features.d" / "gfd"
        proc = self.gfd("pcie-4xt4", "--sleep-interval=200ms", "--output-file", str(out), wait=False)
        try:
            deadline = time.monotonic() + 5
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            first = parse(out.read_text())
            first_inode = out.stat().st_ino
            deadline = time.monotonic() + 5
            while out.stat().st_ino == first_inode and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertNotEqual(out.stat().st_ino, first_inode, "the file was not rewritten")
            second = parse(out.read_text())
            self.assertEqual(first["nvidia.com/gfd.timestamp"], second["nvidia.com/gfd.timestamp"])
            self.assertEqual(first, second)
            self.assertEqual(sorted(p.name for p in out.parent.iterdir()), ["gfd"])  # no temp files
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(5), 0)
            self.assertFalse(out.exists())
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()

    def test_infinite_sleep_labels_once_and_waits_for_a_signal(self):
        """Upstream v0.19's --sleep-interval=infinite: a pod that labels once and stays up."""
        out = self.tmp / "features.d" / "gfd"
        proc = self.gfd("pcie-4xt4", "--output-file", str(out), wait=False,
                        env={"GFD_SLEEP_INTERVAL": "infinite"})
        try:
            deadline = time.monotonic() + 5
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            first_inode = out.stat().st_ino
            first_stamp = parse(out.read_text())["nvidia.com/gfd.timestamp"]
            time.sleep(1.5)  # a finite interval this short would have relabelled several times
            self.assertIsNone(proc.poll(), "it exited instead of waiting")
            self.assertEqual(out.stat().st_ino, first_inode, "it labelled again without a signal")
            # A reload labels once more, with a new start's timestamp (whole seconds: 1.5 s on).
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            stamp = first_stamp
            while stamp == first_stamp and time.monotonic() < deadline:
                time.sleep(0.02)
                try:
                    stamp = parse(out.read_text()).get("nvidia.com/gfd.timestamp", first_stamp)
                except FileNotFoundError:
                    pass  # removed on the way through the restart
            self.assertNotEqual(stamp, first_stamp)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(5), 0)
            self.assertFalse(out.exists())
        finally:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate()
        self.assertIn("Sleeping until a signal (--sleep-interval=infinite)", err)
        self.assertIn('"sleepInterval": "infinite"', err)

    def test_sighup_reloads_the_config(self):
        out = self.tmp / "gfd"
        config = self.tmp / "config-none.yaml"
        proc = self.gfd("pcie-4xt4", "--sleep-interval=100ms", "--output-file", str(out), wait=False)
        try:
            deadline = time.monotonic() + 5
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(parse(out.read_text())["nvidia.com/gpu.replicas"], "1")
            config.write_text(SHARING["time-slicing"])
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if out.exists() and parse(out.read_text()).get("nvidia.com/gpu.replicas") == "4":
                    break
                time.sleep(0.02)
            self.assertEqual(parse(out.read_text())["nvidia.com/gpu.product"], "Tesla-T4-SHARED")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(5), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate()
        self.assertIn("Received SIGHUP, restarting.", err)

    def test_errors(self):
        bad_driver = self.tmp / "bad-driver.yaml"
        bad_driver.write_text((Path(__file__).parents[2] / "sim/profiles/pcie-4xt4.yaml").read_text()
                              .replace('driver_version: "535.183.01"', 'driver_version: "535"')
                              .replace("name: pcie-4xt4", "name: bad-driver"))
        cases = [
            # (profile, args, exit code, message in stderr or None)
            (str(bad_driver), [], 1, 'invalid driver version "535"'),
            ("dgx-a100", ["--mig-strategy=bogus"], 1, "unknown strategy: bogus"),
            ("none", ["--mig-strategy=bogus"], 0, None),
            ("driver-not-loaded", [], 1, "failed to initialize NVML"),
            ("driver-not-loaded", ["--fail-on-init-error=false", "--mig-strategy=bogus"], 0, None),
            ("pcie-4xt4", ["--use-node-feature-api"], 1, "--use-node-feature-api needs --node-name"),
            ("pcie-4xt4", ["--device-discovery-strategy=magic"], 1, "invalid --device-discovery-strategy"),
        ]
        for profile, args, code, message in cases:
            with self.subTest(profile=profile, args=args):
                out = self.tmp / "errors-out"
                result = self.gfd(profile, "--oneshot", "--output-file", str(out), *args)
                self.assertEqual(result.returncode, code, result.stderr)
                if message:
                    self.assertIn(message, result.stderr)
                if code == 0:
                    labels = parse(out.read_text())
                    self.assertEqual(set(labels), {"nvidia.com/gfd.timestamp", "nvidia.com/vgpu.present"})
                out.unlink(missing_ok=True)
        result, _ = self.oneshot("a100-mig-mixed", "mixed", "mps")
        self.assertEqual(result.returncode, 1)
        self.assertIn("MPS sharing is not supported for mig devices", result.stderr)


if __name__ == "__main__":
    unittest.main()


class TegraTest(GfdBase):
    """GFD on Tegra nodes reads the CUDA driver API (spec §7.2), here the simulator's libcuda."""

    def tegra_labels(self, *args, root=SIM_ROOT_TEGRA, profile="jetson-orin"):
        return self.labels_on_root(root, "NVIDIA Jetson AGX Orin Developer Kit", *args, profile=profile)

    def test_a_jetson_root_is_labelled_through_cuda(self):
        labels = self.tegra_labels()
        expected = {
            "nvidia.com/gpu.product": "Orin-nvgpu", "nvidia.com/gpu.count": "1", "nvidia.com/gpu.memory": "62841",
            "nvidia.com/gpu.family": "ampere", "nvidia.com/gpu.compute.major": "8",
            "nvidia.com/gpu.compute.minor": "7", "nvidia.com/gpu.replicas": "1",
            "nvidia.com/gpu.sharing-strategy": "none", "nvidia.com/gpu.mode": "unknown",
            "nvidia.com/mig.capable": "false", "nvidia.com/gpu.machine": "NVIDIA-Jetson-AGX-Orin-Developer-Kit",
            # CUDA does not tell the driver version; its own 12060 is 12.6.
            "nvidia.com/cuda.driver-version.full": "unknown.unknown.unknown",
            "nvidia.com/cuda.driver.major": "unknown", "nvidia.com/cuda.runtime-version.full": "12.6",
        }
        self.assertEqual({k: labels.get(k) for k in expected}, expected)

    def test_nvml_listing_only_integrated_gpus_and_the_explicit_choice(self):
        # NVML answers with "Orin (nvgpu)": CUDA is asked instead, so no NVML driver version.
        labels = self.tegra_labels(root=SIM_ROOT)
        self.assertEqual(labels["nvidia.com/cuda.driver-version.full"], "unknown.unknown.unknown")
        self.assertEqual(labels["nvidia.com/gpu.product"], "Orin-nvgpu")
        # Chosen on a node NVML serves: CUDA's view of the same four T4s.
        labels = self.tegra_labels("--device-discovery-strategy=tegra", root=SIM_ROOT, profile="pcie-4xt4")
        self.assertEqual(labels["nvidia.com/gpu.count"], "4")
        self.assertEqual(labels["nvidia.com/gpu.product"], "Tesla-T4")
        self.assertEqual(labels["nvidia.com/cuda.driver.major"], "unknown")

    def test_without_cuda_the_error_names_it(self):
        empty = self.tmp / "empty-root"
        (empty / "etc").mkdir(parents=True)
        (empty / "etc" / "nv_tegra_release").write_text("# R36\n")
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        result = subprocess.run([str(BIN / "gpu-feature-discovery"), "--oneshot", "--driver-root-ctr-path", str(empty),
                                 "--output-file", str(self.tmp / "x")], env=env, capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("failed to initialize CUDA: could not load the CUDA driver library; tried", result.stderr)


class VfioTest(GfdBase):
    """--device-discovery-strategy=vfio: GPUs bound to vfio-pci, read from sysfs as upstream's vfio
    manager reads them (pci.ids name, PCI class, 64-bit BARs as memory)."""

    BARS = ("0x00000000fa000000 0x00000000faffffff 0x0000000000040200\n"    # 16 MiB, 32-bit
            "0x0000038000000000 0x0000038fffffffff 0x000000000014220c\n"    # 64 GiB, 64-bit
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
            "0x0000039000000000 0x0000039001ffffff 0x000000000014220c\n"    # 32 MiB, 64-bit
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
            "0x00000000fb000000 0x00000000fb07ffff 0x000000000014220c\n")  # the ROM: not a BAR

    def device(self, root, address, driver, vendor="0x10de", pci_class="0x030200", device="0x20b0"):
        path = root / "sys/bus/pci/devices" / address
        path.mkdir(parents=True)
        for name, value in (("vendor", vendor), ("class", pci_class), ("device", device), ("resource", self.BARS)):
            (path / name).write_text(value + "\n")
        (root / "sys/bus/pci/drivers" / driver).mkdir(parents=True, exist_ok=True)
        (path / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")

    def test_gpus_bound_to_vfio_pci_are_labelled_from_sysfs(self):
        root = self.tmp / "vfio-root"
        self.device(root, "0000:3b:00.0", "vfio-pci")
        self.device(root, "0000:5e:00.0", "vfio-pci")
        self.device(root, "0000:86:00.0", "nvidia")                         # on the host driver: not counted
        self.device(root, "0000:00:02.0", "vfio-pci", vendor="0x8086")      # not NVIDIA
        self.device(root, "0000:af:00.0", "vfio-pci", pci_class="0x068000")  # an NVSwitch, not a GPU
        labels = self.labels_on_root(root, "KubeVirt host", "--device-discovery-strategy=vfio")
        expected = {
            "nvidia.com/gpu.product": "GA100-A100-SXM4-40GB", "nvidia.com/gpu.count": "2",
            # Upstream's figure: the 64-bit BARs (64 GiB + 32 MiB) up to a power of two, in bytes.
            "nvidia.com/gpu.memory": str(128 << 30),
            "nvidia.com/gpu.family": "undefined", "nvidia.com/gpu.compute.major": "-1",
            "nvidia.com/gpu.compute.minor": "-1", "nvidia.com/gpu.mode": "compute",
            "nvidia.com/mig.capable": "false", "nvidia.com/gpu.machine": "KubeVirt-host",
            "nvidia.com/cuda.driver-version.full": "unknown.unknown.unknown",
            "nvidia.com/cuda.runtime-version.full": "0.0", "nvidia.com/gpu.replicas": "1",
        }
        self.assertEqual({k: labels.get(k) for k in expected}, expected)


class NodeFeatureTest(GfdBase):
    """--use-node-feature-api against the fake Kubernetes API server."""

    def setUp(self):
        super().setUp()
        from fake_apiserver import FakeApiServer, kubeconfig
        self.api = FakeApiServer().start()
        self.addCleanup(self.api.stop)
        self.kubeconfig = kubeconfig(self.tmp / "kubeconfig", self.api.url)

    def nodefeature(self):
        with self.api.cond:
            return self.api.nodefeatures.get(("gpu-operator", "nvidia-features-for-gpu-node-1"))

    def test_labels_are_published_and_replaced(self):
        config = self.tmp / "config-none.yaml"
        proc = self.gfd("a100-mig-mixed", "--use-node-feature-api", "--node-name", "gpu-node-1",
                        "--namespace", "gpu-operator", "--kubeconfig", self.kubeconfig,
                        "--sleep-interval=100ms", "--no-timestamp", wait=False,
                        config_text="version: v1\nflags: {migStrategy: mixed}\n")
        try:
            self.assertTrue(self.api.wait_for(lambda: self.nodefeature() is not None, timeout=10))
            obj = self.nodefeature()
            self.assertEqual(obj["apiVersion"], "nfd.k8s-sigs.io/v1alpha1")
            self.assertEqual(obj["kind"], "NodeFeature")
            self.assertEqual(obj["metadata"]["labels"], {"nfd.node.kubernetes.io/node-name": "gpu-node-1"})
            self.assertEqual(obj["spec"]["features"], {"flags": {}, "attributes": {}, "instances": {}})
            expected = expected_labels("a100-mig-mixed", "mixed", "none")
            self.assertEqual(obj["spec"]["labels"], expected)
            # Unchanged passes do not write again.
            time.sleep(0.5)
            writes = [r for r in self.api.requests if r[0] in ("POST", "PUT")]
            self.assertEqual(len(writes), 1)

            # A new config: the MIG labels go, the sharing labels change; nothing stale stays.
            config.write_text("version: v1\nflags: {migStrategy: none}\n" +
                              SHARING["time-slicing"].replace("version: v1\n", ""))
            proc.send_signal(signal.SIGHUP)
            want = expected_labels("a100-mig-mixed", "none", "time-slicing")
            self.assertTrue(self.api.wait_for(lambda: self.nodefeature()["spec"]["labels"] == want, timeout=10),
                            self.nodefeature()["spec"]["labels"])
            self.assertEqual([r[0] for r in self.api.requests if r[0] in ("POST", "PUT")], ["POST", "PUT"])
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(5), 0)
            self.assertIsNotNone(self.nodefeature())  # left in place, as upstream
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()

    def test_the_pods_daemonset_owns_the_object(self):
        """POD_NAME (upstream v0.19): the NodeFeature is garbage-collected with GFD's DaemonSet."""
        daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "nvdp-gpu-feature-discovery",
                     "uid": "0b7e4d6a-4a51-4f5e-9c39-3f3b1f1f2d10", "controller": True}
        with self.api.cond:
            self.api.pods[("gpu-operator", "gfd-x7k2p")] = {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "gfd-x7k2p", "namespace": "gpu-operator", "uid": "pod-uid",
                             "ownerReferences": [dict(daemonset, blockOwnerDeletion=True)]}}
        result = self.gfd("pcie-4xt4", "--oneshot", "--use-node-feature-api", "--node-name", "gpu-node-1",
                          "--namespace", "gpu-operator", "--kubeconfig", self.kubeconfig,
                          env={"POD_NAME": "gfd-x7k2p"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.nodefeature()["metadata"]["ownerReferences"], [daemonset])
        self.assertIn("GET /api/v1/namespaces/gpu-operator/pods/gfd-x7k2p",
                      [f"{m} {p}" for m, p, _ in self.api.requests])
        # A pod that cannot be found: labelled anyway, without an owner.
        with self.api.cond:
            self.api.nodefeatures.clear()
        result = self.gfd("pcie-4xt4", "--oneshot", "--use-node-feature-api", "--node-name", "gpu-node-1",
                          "--namespace", "gpu-operator", "--kubeconfig", self.kubeconfig, "--pod-name", "gone")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("ownerReferences", self.nodefeature()["metadata"])
        self.assertIn("Cannot read pod gpu-operator/gone to find the NodeFeature's owner", result.stderr)

    def test_the_default_follows_the_chart_that_started_it(self):
        """Unset, the API is used when NODE_NAME is given (upstream v0.19's chart sets no variable),
        the file otherwise (v0.18.2's static manifest); a cluster without room for NodeFeatures
        gets the file; a choice that was made is kept."""
        out = self.tmp / "features.d" / "gfd"
        api_args = ("--oneshot", "--output-file", str(out), "--kubeconfig", self.kubeconfig)
        env = {"NODE_NAME": "gpu-node-1", "NAMESPACE": "gpu-operator"}
        result = self.gfd("pcie-4xt4", *api_args, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.nodefeature()["spec"]["labels"]["nvidia.com/gpu.product"], "Tesla-T4")
        self.assertFalse(out.exists())
        self.assertIn('"useNodeFeatureAPI": true', result.stderr)
        result = self.gfd("pcie-4xt4", "--oneshot", "--output-file", str(out))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(parse(out.read_text())["nvidia.com/gpu.product"], "Tesla-T4")
        out.unlink()
        # NFD without the NodeFeature resource: GET and POST answer 404.
        with self.api.cond:
            self.api.nodefeatures.clear()
            self.api.fail_next = [404, 404]
        result = self.gfd("pcie-4xt4", *api_args, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(parse(out.read_text())["nvidia.com/gpu.product"], "Tesla-T4")
        self.assertIn("The NodeFeature API cannot take the labels", result.stderr)
        self.assertIsNone(self.nodefeature())
        out.unlink()
        # Chosen explicitly: the same refusal is an error, and false writes the file.
        with self.api.cond:
            self.api.fail_next = [403]
        result = self.gfd("pcie-4xt4", *api_args, env=dict(env, GFD_USE_NODE_FEATURE_API="true"))
        self.assertEqual(result.returncode, 1)
        self.assertFalse(out.exists())
        result = self.gfd("pcie-4xt4", *api_args, env=dict(env, GFD_USE_NODE_FEATURE_API="false"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(out.exists())
        self.assertIsNone(self.nodefeature())

    def test_oneshot_and_settings(self):
        result = self.gfd("pcie-4xt4", "--oneshot", "--use-node-feature-api", "--node-name", "gpu-node-1",
                          "--namespace", "gpu-operator", "--kubeconfig", self.kubeconfig)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.nodefeature()["spec"]["labels"]["nvidia.com/gpu.product"], "Tesla-T4")
        result = self.gfd("pcie-4xt4", "--oneshot", "--use-node-feature-api", "--kubeconfig", self.kubeconfig)
        self.assertEqual(result.returncode, 1)
        self.assertIn("--use-node-feature-api needs --node-name (NODE_NAME) and --namespace (NAMESPACE)",
                      result.stderr)
        bad = self.tmp / "bad-kubeconfig"
        bad.write_text("current-context: nowhere\n")
        result = self.gfd("pcie-4xt4", "--oneshot", "--use-node-feature-api", "--node-name", "n",
                          "--kubeconfig", str(bad))
        self.assertEqual(result.returncode, 1)
        self.assertIn("no context named", result.stderr)
