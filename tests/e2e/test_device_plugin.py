"""nvidia-device-plugin end to end: the real binary on the NVML simulator, the kubelet emulator
over real unix sockets."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness import BIN, GPU, SIM_ROOT, E2ETest, Emulator, monotonic_ms, profile


class RegistrationTest(E2ETest):
    def test_registers_every_gpu_healthy_with_its_numa_node(self):
        emulator = self.emulator()
        self.plugin("dgx-a100")
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        registration = emulator.registrations()[0]
        self.assertEqual(registration["version"], "v1beta1")
        self.assertEqual(registration["endpoint"], "nvidia-gpu.sock")
        self.assertEqual(registration["options"],
                         {"preStartRequired": False, "getPreferredAllocationAvailable": True})
        expected = {g["uuid"]: [g["numaNode"]] for g in profile("dgx-a100")["gpus"]}
        devices = emulator.device_lists()[-1]["devices"]
        self.assertEqual({d["id"]: d["numa"] for d in devices}, expected)
        self.assertEqual({d["health"] for d in devices}, {"Healthy"})
        self.assertTrue((self.plugin_dir / "nvidia-gpu.sock").is_socket())

    def test_allocate_two_returns_their_uuids(self):
        emulator = self.emulator()
        self.plugin("dgx-a100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        preferred = self.assertReplyOk(emulator.send(f"preferred {GPU} 2"))
        self.assertEqual(len(preferred["devices"]), 2)
        numa = {g["uuid"]: g["numaNode"] for g in profile("dgx-a100")["gpus"]}
        self.assertEqual(len({numa[d] for d in preferred["devices"]}), 1, "one NUMA node")
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} 2"))
        self.assertEqual(len(reply["request"]), 2)
        self.assertTrue(set(reply["request"]) <= set(numa))
        self.assertEqual(reply["response"]["envs"], {"NVIDIA_VISIBLE_DEVICES": ",".join(reply["request"])})
        self.assertEqual(reply["response"]["mounts"], [])
        self.assertEqual(reply["response"]["devices"], [])

    def test_bad_requests_get_grpc_errors_and_the_plugin_keeps_serving(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        reply = emulator.send(f"allocate {GPU} GPU-bogus")
        self.assertFalse(reply["ok"])
        self.assertEqual(reply["code"], 3)  # INVALID_ARGUMENT
        self.assertIn('invalid allocation request for "nvidia.com/gpu": invalid request: unknown device: GPU-bogus',
                      reply["error"])
        reply = emulator.send(f"preferred {GPU} 9")
        self.assertFalse(reply["ok"])
        self.assertIn("not enough available devices", reply["error"])
        self.assertTrue(plugin.alive())
        self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))

    def test_emulator_takes_a_relative_directory(self):
        emulator = Emulator("dp", cwd=self.tmp)
        self._stops.append(emulator.close)
        self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))

    def test_registers_as_soon_as_a_late_kubelet_appears(self):
        plugin = self.plugin("pcie-4xt4")
        plugin.wait_log(r"Could not register 'nvidia.com/gpu' with the kubelet")
        time.sleep(1)
        started = monotonic_ms()
        emulator = self.emulator()
        self.assertReplyOk(emulator.send(f"wait registered {GPU} timeout=3"))
        self.assertLess(emulator.registrations()[0]["t_ms"] - started, 2000)

    def test_dry_run_prints_what_is_registered(self):
        emulator = self.emulator()
        self.plugin("dgx1-v100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        registered = sorted(d["id"] for d in emulator.device_lists()[-1]["devices"])
        env = dict(os.environ, NVML_SIM_PROFILE="dgx1-v100")
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                              "--dry-run", "--output", "json"], env=env, capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        doc = json.loads(out.stdout)
        self.assertEqual([r["name"] for r in doc["resources"]], [GPU])
        self.assertEqual(doc["resources"][0]["preferredAllocation"], "best-effort")
        self.assertEqual(sorted(d["id"] for d in doc["resources"][0]["devices"]), registered)
        nvlinks = {(l["from"], l["to"]): l["nvlinks"] for l in doc["links"]}
        self.assertEqual(nvlinks[(0, 3)], 2)
        self.assertEqual(nvlinks[(0, 5)], 0)


class LifecycleTest(E2ETest):
    def test_kubelet_restart_deleting_every_socket_reregisters_within_2s(self):
        emulator = self.emulator()
        self.plugin("dgx-a100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        self.assertReplyOk(emulator.send("restart"))
        reply = self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=2"))
        self.assertEqual(reply["registrations"], 2)
        restarted = emulator.wait_event(lambda e: e["event"] == "restarted", 1)
        self.assertLess(emulator.registrations()[1]["t_ms"] - restarted["t_ms"], 2000)
        self.assertTrue((self.plugin_dir / "nvidia-gpu.sock").is_socket())
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        self.assertReplyOk(emulator.send(f"allocate {GPU} 2"))

    def test_sighup_restarts_and_registers_again(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
        plugin.signal(signal.SIGHUP)
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=3"))
        plugin.wait_log(r'Received signal "hangup", restarting')
        self.assertTrue(plugin.alive())
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))

    def test_unhealthy_marks_survive_sighup_and_kubelet_restarts(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        plugin.inject("xid 2 48")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=2"))
        plugin.signal(signal.SIGHUP)
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=3"))
        self.assertReplyOk(emulator.send("restart"))
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=3 timeout=3"))
        time.sleep(0.2)
        latest = emulator.device_lists()[-1]["devices"]
        self.assertEqual([d["health"] for d in latest], ["Healthy", "Healthy", "Unhealthy", "Healthy"])

    def test_sigterm_stops_removes_its_socket_and_exits_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                emulator = self.emulator()
                plugin = self.plugin("pcie-4xt4")
                self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
                plugin.signal(sig)
                self.assertEqual(plugin.wait(3), 0)
                self.assertFalse((self.plugin_dir / "nvidia-gpu.sock").exists())
                self.assertIn("shutting down", plugin.log())
                emulator.close()

    def test_sigterm_as_pid_1(self):
        probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot create a PID namespace here")
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", wrapper=("unshare", "--pid", "--fork", "--kill-child"))
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
        children = f"/proc/{plugin.proc.pid}/task/{plugin.proc.pid}/children"
        with open(children) as f:
            inner = int(f.read().split()[0])
        with open(f"/proc/{inner}/status") as f:
            self.assertIn("NSpid", f.read())
        os.kill(inner, signal.SIGTERM)
        self.assertEqual(plugin.wait(5), 0)
        self.assertFalse((self.plugin_dir / "nvidia-gpu.sock").exists())


class NoDevicesTest(E2ETest):
    def test_none_profile_logs_and_waits(self):
        plugin = self.plugin("none")
        plugin.wait_log(r"No devices found\. Waiting indefinitely\.")
        time.sleep(1)
        self.assertTrue(plugin.alive())
        self.assertEqual(list(self.plugin_dir.iterdir()), [])
        plugin.signal(signal.SIGTERM)
        self.assertEqual(plugin.wait(3), 0)

    def test_init_failure_with_fail_on_init_error_exits_non_zero(self):
        plugin = self.plugin("driver-not-loaded")
        self.assertNotEqual(plugin.wait(5), 0)
        self.assertIn("nvml init failed: nvmlInit_v2: Driver Not Loaded", plugin.log())

    def test_init_failure_without_fail_on_init_error_waits(self):
        plugin = self.plugin("driver-not-loaded", args=["--fail-on-init-error=false"])
        plugin.wait_log(r"serving no devices until NVML works")
        time.sleep(1)
        self.assertTrue(plugin.alive())
        plugin.signal(signal.SIGTERM)
        self.assertEqual(plugin.wait(3), 0)

    def test_driver_that_loads_later_is_picked_up(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--fail-on-init-error=false"],
                             faults="fail nvmlInit DRIVER_NOT_LOADED\n")
        plugin.wait_log(r"serving no devices until NVML works")
        plugin.inject("fail nvmlInit SUCCESS")  # the driver finished loading
        # retried every 30 s
        self.assertReplyOk(emulator.send(f"wait registered {GPU} timeout=35", timeout=40))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        self.assertIn("Retrying NVML initialisation", plugin.log())

    def test_missing_library_is_a_clear_error(self):
        plugin = self.plugin("dgx-a100", args=["--driver-root-ctr-path", str(self.tmp / "no-driver")])
        if plugin.wait(5) == 0:
            self.skipTest("a real NVML is on the loader path")
        self.assertIn("could not load NVML library", plugin.log())
        self.assertIn(str(self.tmp / "no-driver" / "usr/lib64/libnvidia-ml.so.1"), plugin.log())

    def test_bad_flag_value_exits_1_naming_it(self):
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--device-id-strategy=serial"],
                             capture_output=True, text=True, timeout=5)
        self.assertEqual(out.returncode, 1)
        self.assertIn("invalid --device-id-strategy option: serial", out.stderr)


class CommandLineTest(unittest.TestCase):
    def test_version_and_help(self):
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--version"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^\d+\.\d+\.\d+\n(commit: [0-9a-f]+(-dirty)?\n)?$")
        out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("--kubelet-socket value", out.stdout)


if __name__ == "__main__":
    unittest.main()
