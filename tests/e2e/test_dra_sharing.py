"""gpu-kubelet-plugin: sharing set in claims (GpuConfig/MigDeviceConfig opaque configuration) on the
NVML simulator, with the simulated driver root's fake nvidia-smi and nvidia-cuda-mps-control first on
PATH (they record their calls, sim/tools/fake_tools.h) and NVML_SIM_STATE recording what was set on
the GPUs (compute mode, timeslice)."""
import json
import os
import re
import shutil
import signal
import subprocess
import unittest

import yaml
from harness import BIN, REPO, fake_tools_bin, profile
from test_dra import DRIVER, NODE, DraBase, wait_until

API = "resource.nvidia.com/v1beta1"


def gpu_config(sharing, kind="GpuConfig", requests=None, source="FromClaim"):
    entry = {"source": source,
             "opaque": {"driver": DRIVER, "parameters": {"apiVersion": API, "kind": kind, "sharing": sharing}}}
    if requests is not None:
        entry["requests"] = requests
    return entry


def can_mount():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                          capture_output=True).returncode == 0


class SharingBase(DraBase):
    def setUp(self):
        super().setUp()
        self.bin = fake_tools_bin(self.tmp / "bin")
        self.state = self.tmp / "nvml-sim-state"
        self.gpus = profile(self.profile_name)["gpus"]

    def start_shared(self, env=None, **kwargs):
        env = {"PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "NVML_SIM_STATE": str(self.state), **(env or {})}
        return self.start(env=env, **kwargs)

    def uuid(self, minor):
        return next(g["uuid"] for g in self.gpus if g["minor"] == minor)

    def settings(self):
        """What `nvml-sim show --json` reports as set on the simulated GPUs."""
        out = subprocess.run([str(BIN / "nvml-sim"), "show", self.profile_name, "--json"], check=True,
                             capture_output=True, text=True, env=dict(os.environ, NVML_SIM_STATE=str(self.state)))
        return json.loads(out.stdout).get("settings", {})

    def calls(self, tool):
        lines = (self.bin / "nvidia-tools.calls.jsonl").read_text().splitlines()
        return [c for c in map(json.loads, lines) if c["tool"] == tool]

    def spec(self, uid):
        return json.loads(self.spec_path(uid).read_text())


class TimeSlicingTest(SharingBase):
    def test_interval_is_set_through_nvml_and_nvidia_smi_and_reset_on_unprepare(self):
        self.start_shared()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        claim = self.claim("ts", ["gpu-1", "gpu-2"],
                           config=[gpu_config({"strategy": "TimeSlicing", "timeSlicingConfig": {"interval": "Long"}})])
        first = kubelet.prepare([claim])["uid-ts"]
        self.assertEqual(first["error"], "")
        settings = self.settings()
        for minor in (1, 2):
            self.assertEqual(settings[self.uuid(minor)], {"compute-mode": "DEFAULT", "timeslice": "3"})
        self.assertNotIn(self.uuid(0), settings)
        self.assertEqual(sorted(c["args"] for c in self.calls("nvidia-smi")),
                         sorted(["compute-policy", "-i", self.uuid(m), "--set-timeslice", "3"] for m in (1, 2)))
        # The kubelet prepares a claim once for all its pods; asked again it gets the same devices.
        self.assertEqual(kubelet.prepare([claim])["uid-ts"], first)
        self.assertEqual(len(self.calls("nvidia-smi")), 2)
        shown = subprocess.run([str(BIN / "nvml-sim"), "show", self.profile_name], check=True, capture_output=True,
                               text=True, env=dict(os.environ, NVML_SIM_STATE=str(self.state))).stdout
        self.assertRegex(shown, rf"{self.uuid(1)}\s+timeslice\s+3")
        self.assertEqual(kubelet.unprepare([claim]), {"uid-ts": ""})
        self.assertEqual(self.settings()[self.uuid(1)]["timeslice"], "0")

    def test_the_worked_example_of_the_docs(self):
        text = (REPO / "docs" / "dra.md").read_text()
        example = text[text.index("### A worked example"):]
        objects = list(yaml.safe_load_all(re.search(r"```yaml\n(.*?)```", example, re.S).group(1)))
        template = next(o for o in objects if o["kind"] == "ResourceClaimTemplate")
        config = [dict(c, source="FromClaim") for c in template["spec"]["spec"]["devices"]["config"]]
        pod = next(o for o in objects if o["kind"] == "Pod")
        self.assertEqual(len(pod["spec"]["containers"]), 2)  # both containers use the one claim
        self.start_shared()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        self.api.add_claim("default", "example", "uid-example", [("gpu", NODE, "gpu-0")], config=config)
        claim = ("default", "example", "uid-example")
        self.assertEqual(kubelet.prepare([claim])["uid-example"]["error"], "")
        self.assertEqual(self.settings()[self.uuid(0)]["timeslice"], "3")

    def test_class_config_then_claim_config_per_request(self):
        self.start_shared()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        config = [gpu_config({"strategy": "TimeSlicing", "timeSlicingConfig": {"interval": "Short"}}, source="FromClass"),
                  gpu_config({"strategy": "TimeSlicing", "timeSlicingConfig": {"interval": "Medium"}},
                             requests=["req-1"])]
        claim = self.claim("mixed", ["gpu-3", "gpu-4"], config=config)
        self.assertEqual(kubelet.prepare([claim])["uid-mixed"]["error"], "")
        self.assertEqual(self.settings()[self.uuid(3)]["timeslice"], "1")  # the class's, for req-0
        self.assertEqual(self.settings()[self.uuid(4)]["timeslice"], "2")  # the claim's, for req-1

    def test_a_bad_config_is_that_claims_error_naming_the_field(self):
        self.start_shared()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        bad = self.claim("typo", ["gpu-5"], config=[gpu_config({"strategy": "TimeSlicing",
                                                               "timeSlicingConfig": {"intervall": "Long"}})])
        good = self.claim("fine", ["gpu-6"])
        out = kubelet.prepare([bad, good])
        self.assertEqual(out["uid-typo"]["error"],
                         "ResourceClaim default/typo: config entry 0 (FromClaim) of driver gpu.nvidia.com: "
                         "sharing.timeSlicingConfig.intervall: unknown field")
        self.assertEqual(out["uid-fine"]["error"], "")
        self.assertFalse(self.spec_path("uid-typo").exists())
        self.assertNotIn("uid-typo", self.stored_claims())
        self.assertEqual(self.calls("nvidia-smi"), [])

    def test_a_failing_nvidia_smi_fails_the_claim_and_leaves_nothing(self):
        self.start_shared()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        (self.bin / "nvidia-tools.faults").write_text("nvidia-smi\n")
        claim = self.claim("ts", ["gpu-7"], config=[gpu_config({"strategy": "TimeSlicing"})])
        error = kubelet.prepare([claim])["uid-ts"]["error"]
        self.assertIn("cannot apply the claim's sharing configuration: nvidia-smi compute-policy -i", error)
        self.assertFalse(self.spec_path("uid-ts").exists())
        self.assertNotIn("uid-ts", self.stored_claims())


@unittest.skipUnless(can_mount(), "needs root and mount namespaces (each MPS claim mounts a tmpfs)")
class MpsClaimTest(SharingBase):
    MPS = {"strategy": "MPS", "mpsConfig": {"defaultActiveThreadPercentage": 25,
                                            "defaultPinnedDeviceMemoryLimit": "2Gi",
                                            "defaultPerDevicePinnedMemoryLimit": {"1": "1Gi"}}}

    def start_private(self):
        # A private mount namespace: the claims' tmpfs mounts end with the test.
        return self.start_shared(wrapper=("unshare", "--mount", "--propagation", "private"))

    def daemon_dir(self, uid):
        return self.plugins / DRIVER / "mps" / uid

    def control(self, uid, command):
        env = {"CUDA_MPS_PIPE_DIRECTORY": str(self.daemon_dir(uid) / "pipe"),
               "CUDA_MPS_LOG_DIRECTORY": str(self.daemon_dir(uid) / "log")}
        return subprocess.run([str(self.bin / "nvidia-cuda-mps-control")], input=command, capture_output=True,
                              text=True, env=env, timeout=10)

    def test_daemon_per_claim_with_its_limits_in_the_claims_spec(self):
        self.start_private()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        claim = self.claim("mps", ["gpu-1", "gpu-2"], config=[gpu_config(self.MPS)])
        self.assertEqual(kubelet.prepare([claim])["uid-mps"]["error"], "")
        uuids = [self.uuid(1), self.uuid(2)]
        control = self.calls("nvidia-cuda-mps-control")
        start = [c for c in control if c["args"] == ["-d"]]
        self.assertEqual(len(start), 1)
        self.assertEqual(start[0]["env"]["CUDA_VISIBLE_DEVICES"], ",".join(uuids))
        self.assertEqual(start[0]["env"]["CUDA_MPS_PIPE_DIRECTORY"], str(self.daemon_dir("uid-mps") / "pipe"))
        commands = [c["stdin"] for c in control if c["args"] == []]
        self.assertIn("set_default_device_pinned_mem_limit 0 2048M", commands)
        self.assertIn("set_default_device_pinned_mem_limit 1 1024M", commands)
        self.assertIn("set_default_active_thread_percentage 25", commands)
        self.assertEqual(float(self.control("uid-mps", "get_default_active_thread_percentage").stdout), 25)
        for uuid in uuids:
            self.assertEqual(self.settings()[uuid]["compute-mode"], "EXCLUSIVE_PROCESS")
        edits = self.spec("uid-mps")["containerEdits"]
        self.assertIn("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps", edits["env"])
        mounts = {m["containerPath"]: m["hostPath"] for m in edits["mounts"]}
        self.assertEqual(mounts["/tmp/nvidia-mps"], str(self.daemon_dir("uid-mps") / "pipe"))
        self.assertEqual(mounts["/dev/shm"], str(self.daemon_dir("uid-mps") / "shm"))

        self.assertEqual(kubelet.unprepare([claim]), {"uid-mps": ""})
        self.assertIn("quit", [c["stdin"] for c in self.calls("nvidia-cuda-mps-control")])
        self.assertFalse(self.daemon_dir("uid-mps").exists())
        for uuid in uuids:
            self.assertEqual(self.settings()[uuid]["compute-mode"], "DEFAULT")

    def test_a_daemon_that_died_with_the_plugin_is_started_again(self):
        plugin = self.start_private()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        claim = self.claim("mps", ["gpu-3", "gpu-4"], config=[gpu_config(self.MPS)])
        self.assertEqual(kubelet.prepare([claim])["uid-mps"]["error"], "")
        plugin.signal(signal.SIGKILL)
        plugin.wait()
        self.assertEqual(self.control("uid-mps", "quit").returncode, 0)  # gone with its container
        wait_until(lambda: self.control("uid-mps", "get_default_active_thread_percentage").returncode != 0)
        restarted = self.start_private()
        restarted.wait_log("Started the MPS control daemon of prepared claim uid-mps again", timeout=10)
        kubelet.wait_registered(count=2)
        self.assertEqual(float(self.control("uid-mps", "get_default_active_thread_percentage").stdout), 25)
        self.assertEqual(len([c for c in self.calls("nvidia-cuda-mps-control") if c["args"] == ["-d"]]), 2)
        self.assertEqual(kubelet.unprepare([claim]), {"uid-mps": ""})
        self.assertFalse(self.daemon_dir("uid-mps").exists())

    def test_a_crash_after_the_daemon_started_is_repaired_by_the_next_prepare(self):
        plugin = self.start_shared(env={"NVDP_DRA_CRASH_AT": "prepare-sharing-applied"},
                                   wrapper=("unshare", "--mount", "--propagation", "private"))
        kubelet = self.kubelet()
        kubelet.wait_registered()
        claim = self.claim("mps", ["gpu-5", "gpu-6"], config=[gpu_config(self.MPS)])
        with self.assertRaises(Exception):
            kubelet.prepare([claim])
        self.assertEqual(plugin.wait(), 99)
        self.assertEqual(self.stored_claims()["uid-mps"]["state"], "PrepareStarted")
        self.start_private()
        kubelet.wait_registered(count=2)
        self.assertEqual(kubelet.prepare([claim])["uid-mps"]["error"], "")  # the running daemon is kept
        self.assertEqual(len([c for c in self.calls("nvidia-cuda-mps-control") if c["args"] == ["-d"]]), 1)
        self.assertIn("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps", self.spec("uid-mps")["containerEdits"]["env"])
        self.assertEqual(kubelet.unprepare([claim]), {"uid-mps": ""})
        self.assertFalse(self.daemon_dir("uid-mps").exists())

    def test_mps_on_a_mig_device_is_refused_with_a_reason(self):
        plugin = self.start_shared(profile_name="a100-mig-mixed",
                                   wrapper=("unshare", "--mount", "--propagation", "private"))
        kubelet = self.kubelet()
        kubelet.wait_registered()
        mig = next(name for name, d in self.devices().items() if d["attributes"]["type"]["string"] == "mig")
        claim = self.claim("mig", [mig], config=[gpu_config({"strategy": "MPS"}, kind="MigDeviceConfig")])
        self.assertEqual(kubelet.prepare([claim])["uid-mig"]["error"],
                         f"ResourceClaim default/mig: MPS sharing of MIG devices is not supported (device {mig})")
        self.assertTrue(plugin.alive())


if __name__ == "__main__":
    unittest.main()
