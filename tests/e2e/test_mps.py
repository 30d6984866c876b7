"""MPS end to end: mps-control-daemon and the device plugin on simulated nodes, with the simulated
driver root's fake nvidia-smi and nvidia-cuda-mps-control (copied into a per-test bin directory put
first on PATH, where they record every call they get, see sim/tools/fake_tools.h)."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from harness import BIN, GPU, SIM_ROOT, E2ETest, LoggedProcess, fake_tools_bin, monotonic_ms, profile

MPS_CONFIG = """version: v1
sharing:
  mps:
    renameByDefault: {rename}
    resources:
    - name: nvidia.com/gpu
      replicas: {replicas}
"""


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout}s")


class Daemon(LoggedProcess):
    """mps-control-daemon on the simulator."""

    def __init__(self, test, profile_name, args=(), env=None, wrapper=()):
        full_env = dict(os.environ, NVML_SIM_PROFILE=profile_name, PATH=test.path_env())
        full_env.pop("LD_LIBRARY_PATH", None)
        full_env.update(env or {})
        argv = [*wrapper, str(BIN / "mps-control-daemon"), "--container-driver-root", str(test.driver_root),
                "--mps-container-root", str(test.mps), *args]
        super().__init__(argv, full_env, test.tmp / f"mps-daemon-{monotonic_ms()}.log")

    def wait_log(self, pattern, timeout=10, count=1):
        return super().wait_log(pattern, timeout, count)

    def stop(self, timeout=10):
        return super().stop(timeout)


class MpsTest(E2ETest):
    def setUp(self):
        super().setUp()
        self.bin = fake_tools_bin(self.tmp / "bin")
        self.mps = self.tmp / "mps"
        self.mps.mkdir()
        self.driver_root = SIM_ROOT

    def path_env(self):
        return f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}"

    def config(self, replicas, rename=False, name="config.yaml"):
        path = self.tmp / name
        path.write_text(MPS_CONFIG.format(replicas=replicas, rename=str(rename).lower()))
        return str(path)

    def daemon(self, profile_name, *args, **kwargs):
        daemon = Daemon(self, profile_name, args, **kwargs)
        self._stops.append(daemon.stop)
        return daemon

    def calls(self, tool=None):
        lines = (self.bin / "nvidia-tools.calls.jsonl").read_text().splitlines()
        calls = [json.loads(line) for line in lines]
        return [c for c in calls if tool is None or c["tool"] == tool]

    def fault(self, text):
        (self.bin / "nvidia-tools.faults").write_text(text)

    def wait_ready(self, timeout=10):
        wait_for((self.mps / ".ready").exists, timeout, ".ready")

    def resource_dir(self, resource=GPU):
        return self.mps / resource


class ControlDaemonTest(MpsTest):
    def check_start(self, profile_name, replicas, resource, limit_mib, percentage):
        gpus = profile(profile_name)["gpus"]
        pipe, log = self.resource_dir(resource) / "pipe", self.resource_dir(resource) / "log"
        smi = [c["args"] for c in self.calls("nvidia-smi")]
        self.assertEqual(smi, [["-i", g["uuid"], "-c", "EXCLUSIVE_PROCESS"] for g in gpus])
        control = self.calls("nvidia-cuda-mps-control")
        env = {"CUDA_MPS_PIPE_DIRECTORY": str(pipe), "CUDA_MPS_LOG_DIRECTORY": str(log)}
        for call in control:
            self.assertEqual(call["env"], env)  # only the two MPS variables
        self.assertEqual(control[0]["args"], ["-d"])
        commands = [c["stdin"] for c in control[1:]]
        expected = [f"set_default_device_pinned_mem_limit {i} {limit_mib}M" for i in range(len(gpus))]
        expected.append(f"set_default_active_thread_percentage {percentage}")
        self.assertEqual(commands, expected)  # no trailing newlines
        self.assertTrue((self.resource_dir(resource) / ".started").is_file())
        self.assertTrue(pipe.is_dir())
        self.assertTrue(log.is_dir())

    def check_stopped(self, resource=GPU):
        self.assertEqual(self.calls("nvidia-cuda-mps-control")[-1]["stdin"], "quit")
        gpus = [c["args"] for c in self.calls("nvidia-smi") if c["args"][-1] == "DEFAULT"]
        self.assertTrue(gpus)
        self.assertFalse((self.resource_dir(resource) / ".started").exists())
        self.assertFalse((self.resource_dir(resource) / "log").exists())
        self.assertFalse((self.mps / ".ready").exists())

    def test_forty_gigabytes_with_ten_replicas(self):
        daemon = self.daemon("dgx-a100", "--config-file", self.config(10))
        self.wait_ready()
        self.check_start("dgx-a100", 10, GPU, 4096, 10)
        # The control log is followed on stdout, as upstream's `tail -f`.
        daemon.wait_log(r"Cmd:set_default_active_thread_percentage 10")
        daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.proc.wait(10), 0)
        self.check_stopped()
        gpus = profile("dgx-a100")["gpus"]
        self.assertEqual([c["args"] for c in self.calls("nvidia-smi")][len(gpus):],
                         [["-i", g["uuid"], "-c", "DEFAULT"] for g in gpus])

    def test_three_replicas_renamed_on_t4(self):
        self.daemon("pcie-4xt4", "--config-file", self.config(3, rename=True))
        self.wait_ready()
        self.check_start("pcie-4xt4", 3, "nvidia.com/gpu.shared", 15360 // 3, 33)

    def test_h100_with_forty_eight_replicas(self):
        self.daemon("h100-sxm", "--config-file", self.config(48))
        self.wait_ready()
        self.check_start("h100-sxm", 48, GPU, 81559 // 48, 2)

    def test_too_many_replicas_wait_for_a_new_config(self):
        config = self.config(17)
        daemon = self.daemon("dgx1-v100", "--config-file", config)  # compute capability 7.0: 16
        daemon.wait_log(r"maximum allowed replicas exceeded: 17 > 16")
        daemon.wait_log(r"waiting for a new configuration \(SIGHUP\)")
        time.sleep(0.3)
        self.assertTrue(daemon.proc.poll() is None)
        self.assertFalse((self.mps / ".ready").exists())
        self.assertEqual(self.calls(), [])
        self.config(16)
        daemon.proc.send_signal(signal.SIGHUP)
        self.wait_ready()
        self.check_start("dgx1-v100", 16, GPU, 16160 // 16, 6)

    def test_without_mps_sharing_only_ready(self):
        daemon = self.daemon("dgx-a100")
        self.wait_ready()
        daemon.wait_log(r"No devices are configured for MPS sharing; Waiting indefinitely")
        self.assertEqual(self.calls(), [])

    def test_sighup_restarts_the_daemons(self):
        daemon = self.daemon("pcie-4xt4", "--config-file", self.config(4))
        self.wait_ready()
        first = len(self.calls())
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_log(r"Received SIGHUP")
        wait_for(lambda: len([c for c in self.calls("nvidia-cuda-mps-control") if c["args"] == ["-d"]]) == 2,
                 10, "a second control daemon")
        self.wait_ready()
        stdins = [c["stdin"] for c in self.calls("nvidia-cuda-mps-control")]
        self.assertIn("quit", stdins)
        self.assertGreater(len(self.calls()), first)
        self.assertTrue((self.resource_dir() / ".started").is_file())

    def test_missing_tools_are_named_and_retried(self):
        # A driver root with NVML but without the tools, and nothing on PATH.
        root = self.tmp / "driver-root"
        for library in SIM_ROOT.rglob("libnvidia-ml.so.1"):
            target = root / library.relative_to(SIM_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(library, target)  # a copy: absolute links resolve inside the root
        self.driver_root = root
        moved = self.tmp / "hidden"
        self.bin.rename(moved)
        daemon = self.daemon("pcie-4xt4", "--config-file", self.config(2))
        daemon.wait_log(r"nvidia-smi not found \(searched [^)]*" + re.escape(str(root)) + r"/usr/bin")
        daemon.wait_log(r"retrying in 1 s")
        self.assertFalse((self.mps / ".ready").exists())
        (root / "usr" / "bin").mkdir(parents=True)
        for tool in ("nvidia-smi", "nvidia-cuda-mps-control"):
            shutil.copy2(moved / tool, root / "usr" / "bin" / tool)
        self.wait_ready(15)
        daemon.wait_log(r"Using " + re.escape(str(root)) + "/usr/bin/nvidia-smi")

    def test_failing_nvidia_smi_is_retried(self):
        self.fault("nvidia-smi\n")
        daemon = self.daemon("pcie-4xt4", "--config-file", self.config(2))
        daemon.wait_log(r"error setting compute mode EXCLUSIVE_PROCESS on GPU-\S+: exit status 3: "
                        r"Unable to set the compute mode")
        self.assertFalse((self.mps / ".ready").exists())
        self.fault("")
        self.wait_ready(15)

    def test_failing_control_command_is_retried(self):
        self.fault("mps-command set_default_active_thread_percentage\n")
        daemon = self.daemon("pcie-4xt4", "--config-file", self.config(2))
        daemon.wait_log(r"failed to send command 'set_default_active_thread_percentage 50'")
        # The half-started daemon was stopped again.
        wait_for(lambda: "quit" in [c["stdin"] for c in self.calls("nvidia-cuda-mps-control")], 5, "quit")
        self.assertFalse((self.mps / ".ready").exists())
        self.fault("")
        self.wait_ready(15)

    def test_as_nonroot_it_exits_naming_the_way_out(self):
        # The runtime image in upstream's chart (no runAsUser): nvidia-smi -c cannot work as 65532,
        # so the daemon ends at once instead of retrying forever.
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv(1) to run the daemon as another user")
        os.chmod(self.tmp, 0o755)
        daemon = self.daemon("pcie-4xt4", "--config-file", self.config(2),
                             wrapper=["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups"])
        self.assertEqual(daemon.wait(10), 1, daemon.log())
        lines = [line for line in daemon.log().splitlines() if "podSecurityContext.runAsUser=0" in line]
        self.assertEqual(len(lines), 1, daemon.log())
        self.assertRegex(lines[0], r"^E.*Cannot start the MPS control daemons: cannot set the compute mode of the "
                                   r"GPUs of nvidia.com/gpu: nvidia-smi -c needs root, running as uid 65532")
        self.assertEqual(self.calls("nvidia-smi"), [])
        self.assertNotIn("retrying", daemon.log())

    def test_bad_config_file_waits_for_a_good_one(self):
        path = self.tmp / "config.yaml"
        path.write_text("version: v1\nsharing: {mps: {resources: [{name: nvidia.com/gpu, replicas: 1}]}}\n")
        daemon = self.daemon("pcie-4xt4", "--config-file", str(path))
        daemon.wait_log(r"Invalid configuration: .*replicas")
        self.assertTrue(daemon.proc.poll() is None)
        self.config(2)
        daemon.proc.send_signal(signal.SIGHUP)
        self.wait_ready()

    def test_cli(self):
        run = lambda *a: subprocess.run([str(BIN / "mps-control-daemon"), *a], capture_output=True, text=True)
        help_text = run("--help")
        self.assertEqual(help_text.returncode, 0)
        for flag in ("--config-file", "--mig-strategy", "CONFIG_FILE", "MIG_STRATEGY", "mount-shm"):
            self.assertIn(flag, help_text.stdout)
        self.assertEqual(run("--version").returncode, 0)
        bad = run("mount-everything")
        self.assertEqual(bad.returncode, 1)
        self.assertIn('unknown command "mount-everything"', bad.stderr)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare(1)")
class MountShmTest(MpsTest):
    def test_mounts_half_the_memory_and_replaces_an_earlier_mount(self):
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest(f"no mount namespaces here: {probe.stderr.decode().strip()}")
        binary = BIN / "mps-control-daemon"
        shm = self.mps / "shm"
        (shm).mkdir()
        (shm / "stale").write_text("left over")
        # In a private mount namespace, so nothing outlives the test.
        script = (f'"{binary}" mount-shm --mps-container-root "{self.mps}" && '
                  f'"{binary}" mount-shm --mps-container-root "{self.mps}" && '
                  f'touch "{shm}/written" && cat /proc/self/mountinfo && stat -f -c "%b %S" "{shm}"')
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 0, result.stderr)
        mounts = [line.split() for line in result.stdout.splitlines()[:-1] if line.split()[4] == str(shm)]
        self.assertEqual(len(mounts), 1, mounts)  # the second run took the first mount off
        fields = mounts[0]
        separator = fields.index("-")
        self.assertEqual(set(fields[5].split(",")), {"rw", "nosuid", "nodev", "noexec", "relatime"})
        self.assertEqual(fields[separator + 1:separator + 3], ["tmpfs", "shm"])
        with open("/proc/meminfo") as meminfo:
            total_kb = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        expected_kb = -(-(total_kb // 2) // page_kb) * page_kb  # the kernel rounds up to pages
        # The kernel shows size= only when it differs from tmpfs' default, which is also half of RAM.
        sizes = [o for o in fields[separator + 3].split(",") if o.startswith("size=")]
        self.assertIn(sizes, ([], [f"size={expected_kb}k"]))
        blocks, block_size = map(int, result.stdout.splitlines()[-1].split())
        self.assertEqual(blocks * block_size, expected_kb * 1024)
        self.assertIn("Mounted tmpfs at", result.stderr)
        self.assertFalse((shm / "stale").exists())  # cleaned up before mounting

    def test_without_privilege_the_error_says_so(self):
        if not shutil.which("setpriv"):
            self.skipTest("needs setpriv(1)")
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 str(BIN / "mps-control-daemon"), "mount-shm", "--mps-container-root",
                                 str(self.tmp / "elsewhere")], capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("mount-shm failed: cannot unmount", result.stderr)
        self.assertIn("(mount-shm needs a privileged container), running as uid 65534 (gid 65534): "
                      "use the -compat image, or run this one as root (podSecurityContext.runAsUser=0)",
                      result.stderr)


class PluginWithMpsTest(MpsTest):
    def plugin_args(self, replicas=10, rename=False):
        return ["--config-file", self.config(replicas, rename), "--mps-root", "/run/nvidia/mps",
                "--mps-container-root", str(self.mps), "--metrics-address", "127.0.0.1:0"]

    def test_registers_once_the_daemon_answers_then_allocates(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100", args=self.plugin_args(), env={"PATH": self.path_env()})
        plugin.wait_log(r"'nvidia.com/gpu' is not served until its MPS control daemon answers")
        status, body = plugin.get("/readyz")
        self.assertEqual(status, 503)
        self.assertIn("nvidia.com/gpu: waiting for the MPS control daemon", body)
        self.assertEqual(emulator.registrations(), [])

        self.daemon("dgx-a100", "--config-file", self.config(10))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 80", timeout=20))
        self.assertEqual(plugin.get("/readyz")[0], 200)
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {ids[0]}"))
        response = reply["response"]
        self.assertEqual(response["envs"], {"CUDA_MPS_PIPE_DIRECTORY": "/mps/nvidia.com/gpu/pipe",
                                            "NVIDIA_VISIBLE_DEVICES": ids[0].split("::")[0]})
        self.assertEqual(response["mounts"], [
            {"containerPath": "/mps/nvidia.com/gpu/pipe", "hostPath": "/run/nvidia/mps/nvidia.com/gpu/pipe",
             "readOnly": False},
            {"containerPath": "/dev/shm", "hostPath": "/run/nvidia/mps/shm", "readOnly": False}])
        reply = emulator.send(f"allocate {GPU} {ids[0]},{ids[1]}")
        self.assertFalse(reply["ok"])
        self.assertIn("maximum request size for shared resources is 1; found 2", reply["error"])
        # The plugin's check ran the tool with the resource's pipe directory.
        checks = [c for c in self.calls("nvidia-cuda-mps-control")
                  if c["stdin"] == "get_default_active_thread_percentage"]
        self.assertTrue(checks)
        self.assertEqual(checks[-1]["env"]["CUDA_MPS_PIPE_DIRECTORY"], str(self.mps / GPU / "pipe"))

    def test_renamed_resource_uses_its_own_pipe(self):
        emulator = self.emulator()
        self.daemon("pcie-4xt4", "--config-file", self.config(4, rename=True))
        self.wait_ready()
        self.plugin("pcie-4xt4", args=self.plugin_args(4, rename=True), env={"PATH": self.path_env()})
        self.assertReplyOk(emulator.send("wait devices nvidia.com/gpu.shared 16", timeout=20))
        ids = [d["id"] for d in emulator.device_lists("nvidia.com/gpu.shared")[-1]["devices"]]
        reply = self.assertReplyOk(emulator.send(f"allocate nvidia.com/gpu.shared {ids[3]}"))
        self.assertEqual(reply["response"]["envs"]["CUDA_MPS_PIPE_DIRECTORY"], "/mps/nvidia.com/gpu.shared/pipe")

    def test_an_explicit_false_allows_several_replicas(self):
        """Upstream v0.20 honours failRequestsGreaterThanOne: false for MPS (v0.18 forced true)."""
        config = self.tmp / "config-many.yaml"
        config.write_text(MPS_CONFIG.format(replicas=4, rename="false").replace(
            "  mps:\n", "  mps:\n    failRequestsGreaterThanOne: false\n"))
        emulator = self.emulator()
        self.daemon("pcie-4xt4", "--config-file", str(config))
        self.wait_ready()
        args = self.plugin_args(4)
        args[args.index("--config-file") + 1] = str(config)
        self.plugin("pcie-4xt4", args=args, env={"PATH": self.path_env()})
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 16", timeout=20))
        ids = [d["id"] for d in emulator.device_lists()[-1]["devices"]]
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {ids[0]},{ids[5]}"))
        self.assertEqual(reply["response"]["envs"]["CUDA_MPS_PIPE_DIRECTORY"], "/mps/nvidia.com/gpu/pipe")

    def test_refused_combinations(self):
        mig_config = self.config(2)
        cases = [
            ("a100-mig-single", ["--mig-strategy=single", "--config-file", mig_config, "--mps-root", "/run/mps"],
             "sharing using MPS is not supported for MIG devices"),
            ("a100-mig-mixed", ["--mig-strategy=mixed", "--config-file", mig_config, "--mps-root", "/run/mps"],
             "using MPS is not supported with the mixed MIG strategy"),
            ("dgx-a100", ["--config-file", mig_config], "using MPS requires --mps-root to be specified"),
            ("dgx-a100", ["--config-file", mig_config, "--mps-root", "run/mps"],
             "--mps-root must be an absolute host path"),
        ]
        for profile_name, args, message in cases:
            with self.subTest(message=message):
                plugin = self.plugin(profile_name, args=args, env={"PATH": self.path_env()})
                self.assertEqual(plugin.wait(10), 1)
                self.assertIn(message, plugin.log())


if __name__ == "__main__":
    unittest.main()
