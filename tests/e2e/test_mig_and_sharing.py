"""MIG strategies, time-slicing, the config file and Allocate strategies, end to end: the
plugin on simulated nodes, talking to the kubelet emulator over unix sockets."""
import json
import os
import re
import signal
import subprocess
import time
import unittest

from harness import BIN, GPU, SIM_ROOT, E2ETest, profile

MIXED_EXPECTED = {  # a100-mig-mixed with --mig-strategy=mixed, from the profile's layout (spec §3)
    GPU: 4,                          # GPUs 4-7, MIG disabled
    "nvidia.com/mig-1g.5gb": 5,      # 2 on GPU 0, 1 on GPU 2, 1 on GPU 3, + GPU 3's 1g.5gb+me
    "nvidia.com/mig-1g.10gb": 2,     # GPU 3
    "nvidia.com/mig-2g.10gb": 2,     # GPUs 0 and 2
    "nvidia.com/mig-3g.20gb": 1,     # GPU 0
    "nvidia.com/mig-4g.20gb": 2,     # GPU 2's 4g.20gb split into two 2c.4g.20gb
    "nvidia.com/mig-7g.40gb": 1,     # GPU 1
}


def dry_run(profile_name, *args):
    env = dict(os.environ, NVML_SIM_PROFILE=profile_name)
    env.pop("LD_LIBRARY_PATH", None)
    return subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                           "--dry-run", "--output", "json", *args], env=env, capture_output=True,
                          text=True, timeout=20)


class ConfigFiles:
    def config(self, text, name="config.yaml"):
        path = self.tmp / name
        path.write_text(text)
        return str(path)


class MigStrategyTest(E2ETest):
    def registered(self, emulator, expected):
        for resource, count in expected.items():
            self.assertReplyOk(emulator.send(f"wait registered {resource}"))
            self.assertReplyOk(emulator.send(f"wait devices {resource} {count} healthy={count}"))
        return {r: emulator.device_lists(r)[-1]["devices"] for r in expected}

    def test_mixed_registers_one_resource_per_profile(self):
        emulator = self.emulator()
        self.plugin("a100-mig-mixed", args=["--mig-strategy=mixed"])
        devices = self.registered(emulator, MIXED_EXPECTED)
        self.assertEqual({e["resource"] for e in emulator.events if e.get("event") == "registered"},
                         set(MIXED_EXPECTED))
        gpus = {g["uuid"] for g in profile("a100-mig-mixed")["gpus"][4:]}
        self.assertEqual({d["id"] for d in devices[GPU]}, gpus)
        mig_ids = [d["id"] for r, ds in devices.items() if r != GPU for d in ds]
        self.assertTrue(all(i.startswith("MIG-") for i in mig_ids))
        self.assertEqual(len(set(mig_ids)), len(mig_ids))
        self.assertEqual(devices["nvidia.com/mig-7g.40gb"][0]["numa"], [0])
        reply = self.assertReplyOk(emulator.send("allocate nvidia.com/mig-3g.20gb 1"))
        self.assertEqual(reply["response"]["envs"], {"NVIDIA_VISIBLE_DEVICES": reply["request"][0]})
        self.assertTrue((self.plugin_dir / "nvidia-mig-1g.5gb.sock").is_socket())

    def test_anchored_patterns_give_me_profiles_their_own_resource(self):
        """--resource-pattern-matching: v0.18's substrings by default, v0.20's anchored on request."""
        emulator = self.emulator()
        plugin = self.plugin("h100-mig", args=["--mig-strategy=mixed"])
        self.registered(emulator, {"nvidia.com/mig-1g.10gb": 3})  # the +me device among them
        self.assertFalse((self.plugin_dir / "nvidia-mig-1g.10gb.me.sock").exists())
        plugin.stop()
        emulator.close()
        for path in self.plugin_dir.iterdir():
            path.unlink()
        emulator = self.emulator()
        self.plugin("h100-mig", args=["--mig-strategy=mixed"], env={"RESOURCE_PATTERN_MATCHING": "anchored"})
        self.registered(emulator, {"nvidia.com/mig-1g.10gb": 2, "nvidia.com/mig-1g.10gb.me": 1})
        # Compute-instance profiles have no rule of their own: the start fails, as upstream v0.20.
        plugin = self.plugin("a100-mig-mixed", args=["--mig-strategy=mixed", "--resource-pattern-matching=anchored"])
        self.assertEqual(plugin.wait(10), 1)
        self.assertIn("MIG profile '2c.4g.20gb' does not match any resource patterns", plugin.log())

    def test_single_registers_mig_devices_as_gpus(self):
        emulator = self.emulator()
        self.plugin("a100-mig-single", args=["--mig-strategy=single"])
        devices = self.registered(emulator, {GPU: 24})[GPU]
        self.assertTrue(all(d["id"].startswith("MIG-") for d in devices))
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} 2"))
        self.assertEqual(reply["response"]["envs"]["NVIDIA_VISIBLE_DEVICES"], ",".join(reply["request"]))

    def test_none_advertises_mig_gpus_whole(self):
        emulator = self.emulator()
        self.plugin("a100-mig-mixed")
        self.registered(emulator, {GPU: 8})

    def test_invalid_combinations_fail_with_the_upstream_errors(self):
        cases = [("a100-mig-mixed", "single", "more than one MIG device type present on node")]
        for profile_name, strategy, message in cases:
            plugin = self.plugin(profile_name, args=[f"--mig-strategy={strategy}"])
            self.assertEqual(plugin.wait(10), 1)
            self.assertIn(message, plugin.log())


class SharingTest(E2ETest, ConfigFiles):
    TIME_SLICING = """
version: v1
sharing:
  timeSlicing:
    renameByDefault: {rename}
    failRequestsGreaterThanOne: {fail}
    resources:
      - name: {name}
        replicas: {replicas}
"""

    def time_slicing(self, rename=False, fail=False, name="nvidia.com/gpu", replicas=4):
        return self.config(self.TIME_SLICING.format(rename=str(rename).lower(), fail=str(fail).lower(),
                                                    name=name, replicas=replicas))

    def test_four_replicas_per_gpu(self):
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--config-file", self.time_slicing()])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 32 healthy=32"))
        ids = sorted(d["id"] for d in emulator.device_lists()[-1]["devices"])
        expected = sorted(f"{g['uuid']}::{n}" for g in profile("dgx-a100")["gpus"] for n in range(4))
        self.assertEqual(ids, expected)
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {expected[0]},{expected[5]}"))
        uuids = [i.split("::")[0] for i in (expected[0], expected[5])]
        self.assertEqual(reply["response"]["envs"]["NVIDIA_VISIBLE_DEVICES"], ",".join(dict.fromkeys(uuids)))

    def test_rename_by_default_advertises_gpu_shared(self):
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--config-file", self.time_slicing(rename=True)])
        self.assertReplyOk(emulator.send("wait devices nvidia.com/gpu.shared 32"))
        self.assertTrue((self.plugin_dir / "nvidia-gpu.shared.sock").is_socket())
        self.assertFalse((self.plugin_dir / "nvidia-gpu.sock").exists())

    def test_fail_requests_greater_than_one(self):
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--config-file", self.time_slicing(fail=True)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 32"))
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        reply = emulator.send(f"allocate {GPU} {ids[0]},{ids[1]}")
        self.assertFalse(reply["ok"])
        self.assertEqual(reply["code"], 3)
        self.assertIn("maximum request size for shared resources is 1; found 2", reply["error"])
        self.assertReplyOk(emulator.send(f"allocate {GPU} {ids[0]}"))

    def test_replicated_mig_resource(self):
        emulator = self.emulator()
        self.plugin("a100-mig-mixed", args=["--mig-strategy=mixed", "--config-file",
                                            self.time_slicing(name="nvidia.com/mig-1g.10gb", replicas=3)])
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-1g.10gb 6"))
        ids = [d["id"] for d in emulator.device_lists("nvidia.com/mig-1g.10gb")[-1]["devices"]]
        self.assertTrue(all(re.fullmatch(r"MIG-[0-9a-f-]+::[012]", i) for i in ids), ids)
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-7g.40gb 1"))  # untouched


class PerDeviceSharingTest(E2ETest, ConfigFiles):
    """--sharing-per-device (SHARING_PER_DEVICE): entries replicate only their devices, each with
    its own count and name; without it the same file behaves as upstream (every GPU, no rename)."""

    CONFIG = """
version: v1
sharing:
  timeSlicing:
    resources:
      - name: nvidia.com/gpu
        devices: [0, {uuid3}]
        replicas: 2
      - name: nvidia.com/gpu
        rename: nvidia.com/gpu.big
        devices: [1]
        replicas: 4
"""

    def test_listed_devices_get_their_own_replicas_and_name(self):
        gpus = [g["uuid"] for g in profile("dgx-a100")["gpus"]]
        config = self.config(self.CONFIG.format(uuid3=gpus[3]))
        emulator = self.emulator()
        self.plugin("dgx-a100", args=["--config-file", config], env={"SHARING_PER_DEVICE": "true"})
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 9 healthy=9"))
        self.assertReplyOk(emulator.send("wait devices nvidia.com/gpu.big 4 healthy=4"))
        ids = sorted(d["id"] for d in emulator.device_lists()[-1]["devices"])
        expected = sorted([f"{gpus[i]}::{n}" for i in (0, 3) for n in range(2)] +
                          [gpus[i] for i in (2, 4, 5, 6, 7)])
        self.assertEqual(ids, expected)
        big = sorted(d["id"] for d in emulator.device_lists("nvidia.com/gpu.big")[-1]["devices"])
        self.assertEqual(big, [f"{gpus[1]}::{n}" for n in range(4)])
        reply = self.assertReplyOk(emulator.send(f"allocate nvidia.com/gpu.big {big[2]}"))
        self.assertEqual(reply["response"]["envs"]["NVIDIA_VISIBLE_DEVICES"], gpus[1])
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {gpus[0]}::1,{gpus[5]}"))
        self.assertEqual(reply["response"]["envs"]["NVIDIA_VISIBLE_DEVICES"], f"{gpus[0]},{gpus[5]}")

        out = dry_run("dgx-a100", "--config-file", config, "--sharing-per-device")
        self.assertEqual(out.returncode, 0, out.stderr)
        planned = {r["name"]: sorted(d["id"] for d in r["devices"]) for r in json.loads(out.stdout)["resources"]}
        self.assertEqual(planned, {GPU: expected, "nvidia.com/gpu.big": big})

    def test_without_the_flag_the_file_behaves_as_upstream(self):
        gpus = [g["uuid"] for g in profile("dgx-a100")["gpus"]]
        out = dry_run("dgx-a100", "--config-file", self.config(self.CONFIG.format(uuid3=gpus[3])))
        self.assertEqual(out.returncode, 0, out.stderr)
        planned = {r["name"]: len(r["devices"]) for r in json.loads(out.stdout)["resources"]}
        self.assertEqual(planned, {GPU: 16})  # both entries: every GPU x 2, the second adds none
        self.assertIn("Customizing the 'devices' field of timeSlicing resource nvidia.com/gpu is not yet "
                      "supported in the config", out.stderr)

    def test_bad_references_stop_the_start_naming_them(self):
        config = self.config(self.CONFIG.format(uuid3="GPU-00000000-0000-0000-0000-000000000000"))
        out = dry_run("dgx-a100", "--config-file", config, "--sharing-per-device")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("no matching device with UUID: GPU-00000000-0000-0000-0000-000000000000", out.stderr)

    def test_gfd_labels_the_replicas_that_apply(self):
        gpus = [g["uuid"] for g in profile("dgx-a100")["gpus"]]
        config = self.config(self.CONFIG.format(uuid3=gpus[3]))
        labels = self.tmp / "labels"
        env = dict(os.environ, NVML_SIM_PROFILE="dgx-a100", NVML_SIM_EVENTS="/nonexistent")
        env.pop("LD_LIBRARY_PATH", None)
        for extra, replicas in (([], "2"), (["--sharing-per-device"], "4")):
            subprocess.run([str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT), "--oneshot",
                            "--output-file", str(labels), "--config-file", config, *extra], env=env, check=True,
                           capture_output=True, timeout=20)
            found = dict(line.split("=", 1) for line in labels.read_text().splitlines())
            self.assertEqual(found["nvidia.com/gpu.replicas"], replicas, extra)
            self.assertEqual(found["nvidia.com/gpu.product"], "NVIDIA-A100-SXM4-40GB-SHARED")


class ConfigFileTest(E2ETest, ConfigFiles):
    def test_bad_config_files_stop_the_start_naming_the_problem(self):
        cases = {
            "version: v2\n": "version: unknown version: v2",
            "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 0}]}}\n":
                "sharing.timeSlicing.resources[0].replicas: number of replicas must be >= 2, got 0",
            "sharing: {timeSlicing: {resources: [{name: $bad$, replicas: 2}]}}\n":
                "invalid resource name \"nvidia.com/$bad$\"",
            "flags: [\n": "invalid YAML or JSON: line 2",
            "flags: {migStrategy: half}\n": "unknown MIG strategy: half",
        }
        for text, message in cases.items():
            with self.subTest(config=text):
                path = self.config(text)
                plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
                self.assertEqual(plugin.wait(5), 1)
                self.assertIn(message, plugin.log())
                out = dry_run("pcie-4xt4", "--config-file", path)  # the same error in a dry run
                self.assertEqual(out.returncode, 1)
                self.assertIn(message, out.stderr)

    def test_effective_config_is_logged_as_json(self):
        path = self.config("flags: {migStrategy: none, plugin: {deviceIDStrategy: index}}\n")
        plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
        match = plugin.wait_log(r"(?s)Running with config:\n(\{.*?\n\})", timeout=5)
        logged = json.loads(match.group(1))
        self.assertEqual(logged["flags"]["plugin"]["deviceIDStrategy"], "index")
        self.assertEqual(logged["flags"]["failOnInitError"], True)
        self.assertEqual(logged["resources"]["gpus"], [{"pattern": "*", "name": GPU}])

    def test_sighup_with_a_bad_config_keeps_serving_and_a_good_one_applies(self):
        emulator = self.emulator()
        path = self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}\n")
        plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 1}]}}\n")
        plugin.signal(signal.SIGHUP)
        plugin.wait_log(r"Not restarting: the new configuration is invalid: .*number of replicas must be >= 2")
        self.assertTrue(plugin.alive())
        self.assertEqual(len(emulator.registrations()), 1)
        self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))
        self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 3}]}}\n")
        plugin.signal(signal.SIGHUP)
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=5"))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 12 timeout=5"))


class AllocateStrategiesTest(E2ETest):
    def test_volume_mounts_index_ids_and_device_specs(self):
        emulator = self.emulator()
        self.plugin("pcie-4xt4", args=["--device-list-strategy=envvar,volume-mounts", "--device-id-strategy=index",
                                       "--pass-device-specs", "--dev-root=/host", "--gds-enabled"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        uuids = [g["uuid"] for g in profile("pcie-4xt4")["gpus"]]
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {uuids[2]},{uuids[0]}"))
        response = reply["response"]
        self.assertEqual(response["envs"], {"NVIDIA_VISIBLE_DEVICES": "/var/run/nvidia-container-devices",
                                            "NVIDIA_GDS": "enabled"})
        self.assertEqual(response["mounts"], [
            {"containerPath": "/var/run/nvidia-container-devices/2", "hostPath": "/dev/null", "readOnly": False},
            {"containerPath": "/var/run/nvidia-container-devices/0", "hostPath": "/dev/null", "readOnly": False}])
        nodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset",
                 "/dev/nvidia2", "/dev/nvidia0"]
        self.assertEqual(response["devices"],
                         [{"containerPath": n, "hostPath": "/host" + n, "permissions": "rw"} for n in nodes])

    def test_mig_device_specs_include_the_capability_nodes(self):
        emulator = self.emulator()
        self.plugin("a100-mig-mixed", args=["--mig-strategy=mixed", "--pass-device-specs"])
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-7g.40gb 1"))
        reply = self.assertReplyOk(emulator.send("allocate nvidia.com/mig-7g.40gb 1"))
        minors = dict(line.split() for line in
                      (SIM_ROOT / "proc/driver/nvidia-caps/mig-minors").read_text().splitlines())
        paths = [d["containerPath"] for d in reply["response"]["devices"]]
        # GPU 1 (minor 1) holds one GPU instance (id 1) with one compute instance (id 0).
        self.assertEqual(paths[-3:], ["/dev/nvidia1", f"/dev/nvidia-caps/nvidia-cap{minors['gpu1/gi1/access']}",
                                      f"/dev/nvidia-caps/nvidia-cap{minors['gpu1/gi1/ci0/access']}"])


class DryRunTest(E2ETest):
    def test_dry_run_prints_exactly_what_is_registered_for_every_profile(self):
        names = subprocess.run([str(BIN / "nvml-sim"), "list"], capture_output=True, text=True,
                               check=True).stdout.split("\n")
        for name in [line.split()[0] for line in names if line.strip()]:
            strategy = "mixed" if "mig" in name else "none"
            with self.subTest(profile=name):
                out = dry_run(name, f"--mig-strategy={strategy}")
                if name == "driver-not-loaded":
                    self.assertEqual(out.returncode, 1)
                    self.assertIn("nvml init failed", out.stderr)
                    continue
                self.assertEqual(out.returncode, 0, out.stderr)
                planned = {r["name"]: sorted(d["id"] for d in r["devices"])
                           for r in json.loads(out.stdout)["resources"]}
                emulator = self.emulator()
                plugin = self.plugin(name, args=[f"--mig-strategy={strategy}"])
                for resource, ids in planned.items():
                    self.assertReplyOk(emulator.send(f"wait devices {resource} {len(ids)}"))
                time.sleep(0.2)
                registered = {e["resource"] for e in emulator.events if e.get("event") == "registered"}
                self.assertEqual(registered, set(planned))
                for resource, ids in planned.items():
                    self.assertEqual(sorted(d["id"] for d in emulator.device_lists(resource)[-1]["devices"]), ids)
                plugin.stop()
                emulator.close()
                for path in self.plugin_dir.iterdir():
                    path.unlink()


if __name__ == "__main__":
    unittest.main()
