"""Tegra (Jetson, IGX) nodes: the plugin serves the integrated GPU as one device "tegra" without
NVML, as upstream resolves --device-discovery-strategy=auto there (spec §4.3). The driver roots
are simulated: a Tegra marker file and no NVML library."""
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

    def test_dry_run_and_what_is_refused(self):
        root = self.tegra_root()
        out = self.dry_run(root)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Tegra: one integrated GPU, served without NVML", out.stdout)
        self.assertIn("Resource nvidia.com/gpu (1 devices, socket nvidia-gpu.sock, preferred allocation distributed)",
                      out.stdout)
        self.assertIn("\n  tegra\n", out.stdout)
        out = self.dry_run(root, "--device-list-strategy=cdi-cri")
        self.assertEqual(out.returncode, 1)
        self.assertIn("CDI device list strategies are not supported on Tegra nodes yet", out.stderr)
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
