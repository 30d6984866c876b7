"""Tegra (Jetson, IGX) nodes: the plugin serves the integrated GPU as one device "tegra" without
NVML, as upstream resolves --device-discovery-strategy=auto there (spec §4.3). The driver roots
are simulated: a Tegra marker file and no NVML library."""
import json
import os
import subprocess
import unittest

from harness import BIN, GPU, SIM_ROOT, SIM_ROOT_TEGRA, E2ETest


class TegraTest(E2ETest):
    def tegra_root(self, marker="release", name="tegra-root"):
        root = self.tmp / name
        if marker == "release":
            (root / "etc").mkdir(parents=True)
            (root / "etc" / "nv_tegra_release").write_text("# R36 (release), REVISION: 4.0\n")
        else:
            (root / "sys" / "devices" / "soc0").mkdir(parents=True)
            (root / "sys" / "devices" / "soc0" / "family").write_text(marker + "\n")
        return root

    def dry_run(self, root, *args):
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        return subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(root),
                               "--dry-run", *args], env=env, capture_output=True, text=True, timeout=20)

    def test_a_tegra_root_without_nvml_serves_one_tegra_device(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100", args=["--driver-root-ctr-path", str(self.tegra_root()),
                                               "--pass-device-specs", "--metrics-address", "127.0.0.1:0"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1 healthy=1"))
        self.assertEqual([d["id"] for d in emulator.device_lists()[-1]["devices"]], ["tegra"])
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} tegra"))
        self.assertEqual(reply["response"]["envs"], {"NVIDIA_VISIBLE_DEVICES": "tegra"})
        self.assertEqual(reply["response"]["devices"], [])  # the runtime's CSV files name them
        preferred = self.assertReplyOk(emulator.send(f"preferred {GPU} 1"))
        self.assertEqual(preferred["devices"], ["tegra"])
        plugin.wait_log(r"NVML cannot be loaded .* is a Tegra driver root: serving its GPU as Tegra")
        plugin.wait_log(r'Tegra: one integrated GPU, advertised as "tegra"')
        self.assertEqual(plugin.get("/healthz")[0], 200)  # no NVML health monitor to ask
        self.assertEqual(plugin.get("/readyz")[0], 200)

    def test_the_simulated_jetson_and_an_nvml_that_lists_only_integrated_gpus(self):
        emulator = self.emulator()
        plugin = self.plugin("jetson-orin", args=["--driver-root-ctr-path", str(SIM_ROOT_TEGRA)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1"))
        self.assertEqual([d["id"] for d in emulator.device_lists()[-1]["devices"]], ["tegra"])
        plugin.stop()
        emulator.close()
        for path in self.plugin_dir.iterdir():
            path.unlink()
        # NVML loads (the shared sim root) and lists only "Orin (nvgpu)": Tegra as well.
        emulator = self.emulator()
        plugin = self.plugin("jetson-orin")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1"))
        self.assertEqual([d["id"] for d in emulator.device_lists()[-1]["devices"]], ["tegra"])
        plugin.wait_log(r"Every GPU NVML lists is an integrated one: serving the node as Tegra")

    def test_replicas_and_the_soc_family_marker(self):
        config = self.tmp / "config.yaml"
        config.write_text("version: v1\nsharing: {timeSlicing: {resources: [{name: nvidia.com/gpu, replicas: 3}]}}\n")
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--driver-root-ctr-path", str(self.tegra_root("Tegra234")),
                                      "--config-file", str(config), "--device-id-strategy=index"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 3"))
        ids = sorted(d["id"] for d in emulator.device_lists()[-1]["devices"])
        self.assertEqual(ids, ["tegra::0", "tegra::1", "tegra::2"])
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} tegra::1"))
        self.assertEqual(reply["response"]["envs"], {"NVIDIA_VISIBLE_DEVICES": "0"})

    def test_chosen_explicitly_even_where_nvml_answers(self):
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--device-discovery-strategy=tegra"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1"))
        self.assertEqual([d["id"] for d in emulator.device_lists()[-1]["devices"]], ["tegra"])

    def mps_config(self):
        config = self.tmp / "mps.yaml"
        config.write_text("version: v1\nsharing: {mps: {resources: [{name: nvidia.com/gpu, replicas: 2}]}}\n")
        return config

    def csv_root(self):
        """A Jetson driver root with the container toolkit's CSV files and what they name."""
        root = self.tegra_root(name="csv-root")
        specs = root / "etc/nvidia-container-runtime/host-files-for-container.d"
        specs.mkdir(parents=True)
        (specs / "devices.csv").write_text("dev, /dev/nvhost-ctrl\ndev, nvmap\ndev, /dev/nvhost-missing\n")
        (specs / "drivers.csv").write_text(
            "# the driver\n"
            "lib, /usr/lib/aarch64-linux-gnu/nvidia/libcuda.so.1.1\n"
            "lib, /usr/lib/aarch64-linux-gnu/nvidia/libnvrm_gpu.so\n"
            "sym, /usr/lib/aarch64-linux-gnu/nvidia/libcuda.so.1\n"
            "dir, /usr/lib/aarch64-linux-gnu/nvidia/egl\n"
            "bogus line\n")
        (specs / "notes.txt").write_text("lib, /not/read\n")
        (root / "dev").mkdir()
        for node in ("nvhost-ctrl", "nvmap"):
            (root / "dev" / node).write_text("")
        lib = root / "usr/lib/aarch64-linux-gnu/nvidia"
        (lib / "egl").mkdir(parents=True)
        for name in ("libcuda.so.1.1", "libnvrm_gpu.so"):
            (lib / name).write_text("simulated\n")
        (lib / "libcuda.so.1").symlink_to("libcuda.so.1.1")
        return root

    def test_cdi_spec_from_the_container_toolkits_csv_files(self):
        """Upstream's CDI on Tegra (nvcdi's csv mode): the device nodes, libraries, links and folders the
        CSV files name, as far as they exist."""
        cdi = self.tmp / "cdi"
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100", args=["--driver-root-ctr-path", str(self.csv_root()),
                                               "--device-list-strategy=cdi-cri", "--cdi-spec-dir", str(cdi)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1"))
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} tegra"))
        self.assertEqual(reply["response"]["cdiDevices"], ["k8s.device-plugin.nvidia.com/gpu=tegra"])
        plugin.wait_log(r"Tegra CSV: skipping what is not a mount spec: \S+drivers.csv:6: bogus line")
        spec = json.loads((cdi / "k8s.device-plugin.nvidia.com-gpu.json").read_text())
        devices = {d["name"]: d["containerEdits"] for d in spec["devices"]}
        self.assertEqual(sorted(devices), ["all", "tegra"])
        self.assertEqual([n["path"] for n in devices["tegra"]["deviceNodes"]], ["/dev/nvhost-ctrl", "/dev/nvmap"])
        self.assertEqual(devices["all"], devices["tegra"])
        edits = spec["containerEdits"]
        lib = "/usr/lib/aarch64-linux-gnu/nvidia"
        self.assertEqual([m["containerPath"] for m in edits["mounts"]],
                         [f"{lib}/egl", f"{lib}/libcuda.so.1.1", f"{lib}/libnvrm_gpu.so", "/etc/nv_tegra_release"])
        self.assertEqual(edits["mounts"][1]["hostPath"], f"{lib}/libcuda.so.1.1")  # --driver-root is /
        hooks = {h["args"][2]: h["args"][3:] for h in edits["hooks"]}
        self.assertEqual(hooks["create-symlinks"], ["--link", f"libcuda.so.1::{lib}/libcuda.so",
                                                    "--link", f"libcuda.so.1.1::{lib}/libcuda.so.1"])
        self.assertEqual(hooks["update-ldcache"], ["--folder", lib])

    def test_dry_run_and_what_is_refused(self):
        root = self.tegra_root()
        out = self.dry_run(root)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Tegra: one integrated GPU, served without NVML", out.stdout)
        self.assertIn("Resource nvidia.com/gpu (1 devices, socket nvidia-gpu.sock, preferred allocation distributed)",
                      out.stdout)
        self.assertIn("\n  tegra\n", out.stdout)
        out = self.dry_run(root, "--mps-root=/run/nvidia/mps", "--config-file", str(self.mps_config()))
        self.assertEqual(out.returncode, 1)
        self.assertIn("sharing using MPS is not supported on Tegra nodes", out.stderr)
        # No marker and no NVML: NVML's error, as before.
        plain = self.tmp / "plain-root"
        plain.mkdir()
        out = self.dry_run(plain)
        self.assertEqual(out.returncode, 1)
        self.assertNotIn("Tegra", out.stdout + out.stderr)
        # A Tegra marker where NVML loads and lists discrete GPUs: NVML wins (upstream's order).
        both = self.tegra_root(name="tegra-with-nvml")
        for part in ("usr", "sys", "dev", "proc"):
            (both / part).symlink_to(SIM_ROOT / part)
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(both),
                              "--dry-run"], env=dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4"),
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("4 GPU(s)", out.stdout)
        self.assertNotIn("Tegra:", out.stdout)
        self.assertNotIn("\n  tegra\n", out.stdout)

if __name__ == "__main__":
    unittest.main()
