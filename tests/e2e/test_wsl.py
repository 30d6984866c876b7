"""WSL2 nodes: NVML answers, but every GPU is behind /dev/dxg, so the plugin reports one device
"all" to the kubelet, as upstream v0.19.1 does. The driver root is the simulated one plus WSL's
libdxcore.so and /dev/dxg."""
import json
import os
import subprocess
import unittest

from harness import BIN, GPU, SIM_ROOT, E2ETest


class WslTest(E2ETest):
    def wsl_root(self):
        root = self.tmp / "wsl-root"
        (root / "usr/lib/wsl/lib").mkdir(parents=True)
        (root / "usr/lib/wsl/lib/libdxcore.so").write_text("simulated\n")
        for part in ("usr/lib/x86_64-linux-gnu", "sys", "proc", "run"):
            (root / part).parent.mkdir(parents=True, exist_ok=True)
            (root / part).symlink_to(SIM_ROOT / part)
        (root / "dev").mkdir()
        (root / "dev/dxg").write_text("")
        return root

    def test_one_all_device_for_every_gpu(self):
        root = self.wsl_root()
        cdi = self.tmp / "cdi"
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--driver-root-ctr-path", str(root), "--pass-device-specs",
                                                "--device-list-strategy=envvar,cdi-cri", "--cdi-spec-dir", str(cdi)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 1 healthy=1"))
        self.assertEqual([d["id"] for d in emulator.device_lists()[-1]["devices"]], ["all"])
        plugin.wait_log(r'WSL2 \(libdxcore.so under \S+\): the 4 GPU\(s\) are advertised as one device "all" on /dev/dxg')
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} all"))["response"]
        self.assertEqual(reply["envs"]["NVIDIA_VISIBLE_DEVICES"], "all")
        self.assertEqual([d["containerPath"] for d in reply["devices"]], ["/dev/dxg"])
        self.assertEqual(reply["cdiDevices"], ["k8s.device-plugin.nvidia.com/gpu=all"])
        self.assertEqual(self.assertReplyOk(emulator.send(f"preferred {GPU} 1"))["devices"], ["all"])
        spec = json.loads((cdi / "k8s.device-plugin.nvidia.com-gpu.json").read_text())
        [device] = spec["devices"]
        self.assertEqual(device["name"], "all")
        self.assertEqual([n["path"] for n in device["containerEdits"]["deviceNodes"]], ["/dev/dxg"])
        self.assertIn("/usr/lib/wsl/lib", [m["containerPath"] for m in spec["containerEdits"]["mounts"]])

    def test_dry_run_and_a_node_without_wsl(self):
        env = dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4")
        env.pop("LD_LIBRARY_PATH", None)
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(self.wsl_root()),
                              "--dry-run"], env=env, capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('WSL2: the GPUs share /dev/dxg and are advertised as one device "all"', out.stdout)
        self.assertIn("Resource nvidia.com/gpu (1 devices", out.stdout)
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                              "--dry-run"], env=env, capture_output=True, text=True, timeout=20)
        self.assertNotIn("WSL2", out.stdout)
        self.assertIn("Resource nvidia.com/gpu (4 devices", out.stdout)


if __name__ == "__main__":
    unittest.main()
