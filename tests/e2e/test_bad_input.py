"""Bad input end to end: config files built to crash a parser, config paths that are not files,
numbers out of range, and configs that parse but cannot be served. Every program must answer with
a clear error naming the problem (never a signal), and a running plugin keeps its last good
configuration through SIGHUP."""
import os
import signal
import subprocess
import time

from harness import BIN, GPU, SIM_ROOT, E2ETest

DIGITS = "7" * 30000
CRASHERS = {
    # std::regex used to recurse once per character of a plain scalar (SIGSEGV near 30,000).
    "long scalar": (f"version: v1\nflags: {{migStrategy: {DIGITS}}}\n", "flags.migStrategy: expected a string"),
    "long device reference": (
        "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: [" + DIGITS + "x]}]}}\n",
        "unsupported device reference"),
    # The tree builder used to recurse once per level (SIGSEGV near 40,000).
    "deep YAML": ("flags: " + "[" * 100000 + "]" * 100000 + "\n", "nested deeper than 64 levels"),
    "deep JSON": ('{"flags": ' + '{"a": ' * 50000 + "1" + "}" * 50001 + "\n", "nested deeper than 64 levels"),
}
TIME_SLICING = "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}\n"


def run(program, profile_name, *args, env=None, timeout=30):
    full_env = dict(os.environ, NVML_SIM_PROFILE=profile_name, NVML_SIM_EVENTS="/nonexistent")
    full_env.pop("LD_LIBRARY_PATH", None)
    full_env.update(env or {})
    return subprocess.run([str(BIN / program), *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout)


class BadInput(E2ETest):
    def config(self, text, name="config.yaml"):
        path = self.tmp / name
        path.write_text(text)
        return str(path)


class CrashingConfigTest(BadInput):
    def test_the_plugin_refuses_them_at_start(self):
        for case, (text, message) in CRASHERS.items():
            with self.subTest(case=case):
                path = self.config(text)
                plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
                self.assertEqual(plugin.wait(10), 1, plugin.log()[-2000:])
                self.assertIn(f"error starting plugins: config file {path}: ", plugin.log())
                self.assertIn(message, plugin.log())

    def test_gpu_feature_discovery_refuses_them(self):
        for case, (text, message) in CRASHERS.items():
            with self.subTest(case=case):
                result = run("gpu-feature-discovery", "pcie-4xt4", "--driver-root-ctr-path", str(SIM_ROOT),
                             "--config-file", self.config(text), "--oneshot", "--output-file", "")
                self.assertEqual(result.returncode, 1, result.stderr[-2000:])
                self.assertIn(message, result.stderr)

    def test_mps_control_daemon_waits_for_a_good_config(self):
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        env = dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4", PATH=f"{SIM_ROOT / 'usr/bin'}:{os.environ['PATH']}")
        env.pop("LD_LIBRARY_PATH", None)
        for case, (text, message) in CRASHERS.items():
            with self.subTest(case=case):
                mps = self.tmp / f"mps-{len(case)}"
                mps.mkdir(exist_ok=True)
                log = self.tmp / "mps.log"
                with open(log, "w") as out:
                    proc = subprocess.Popen([str(BIN / "mps-control-daemon"), "--container-driver-root", str(SIM_ROOT),
                                             "--mps-container-root", str(mps), "--config-file", self.config(text)],
                                            env=env, stdout=out, stderr=subprocess.STDOUT)
                try:
                    deadline = time.monotonic() + 10
                    while message not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
                        time.sleep(0.05)
                    self.assertIn(message, log.read_text())
                    self.assertIsNone(proc.poll(), "it should wait for SIGHUP, alive")
                finally:
                    proc.send_signal(signal.SIGTERM)
                    self.assertEqual(proc.wait(10), 0)

    def test_sighup_keeps_the_last_good_config(self):
        emulator = self.emulator()
        path = self.config(TIME_SLICING)
        plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        for count, (case, (text, message)) in enumerate(CRASHERS.items(), start=1):
            with self.subTest(case=case):
                self.config(text)
                plugin.signal(signal.SIGHUP)
                plugin.wait_log(r"Not restarting: the new configuration is invalid: .*" + message, count=1)
                plugin.wait_log(r"still serving the last good configuration", count=count)
                self.assertTrue(plugin.alive())
        self.assertEqual(len(emulator.registrations()), 1)
        self.assertEqual(len(emulator.device_lists()[-1]["devices"]), 8)
        self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))


class ConfigPathTest(BadInput):
    def test_a_directory_is_an_error_at_start(self):
        directory = self.tmp / "config.d"
        directory.mkdir()
        plugin = self.plugin("pcie-4xt4", args=["--config-file", str(directory)])
        self.assertEqual(plugin.wait(10), 1)
        self.assertIn(f"config file {directory}: is a directory, not a file", plugin.log())
        result = run("gpu-feature-discovery", "pcie-4xt4", "--driver-root-ctr-path", str(SIM_ROOT),
                     "--config-file", str(directory), "--oneshot", "--output-file", "")
        self.assertEqual(result.returncode, 1)
        self.assertIn("is a directory, not a file", result.stderr)

    def test_a_directory_at_sighup_keeps_the_time_slicing_config(self):
        """It used to read as the all-defaults config: 16 replicas silently became 8 GPUs."""
        emulator = self.emulator()
        path = self.tmp / "config.yaml"
        path.write_text("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 4}]}}\n")
        plugin = self.plugin("pcie-4xt4", args=["--config-file", str(path)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 16"))
        path.unlink()
        path.mkdir()
        plugin.signal(signal.SIGHUP)
        plugin.wait_log(r"Not restarting: .*is a directory, not a file; still serving the last good")
        time.sleep(0.3)
        self.assertEqual(len(emulator.device_lists()[-1]["devices"]), 16)
        self.assertEqual(len(emulator.registrations()), 1)


class NumbersTest(BadInput):
    def test_replicas_out_of_range_name_the_key(self):
        for replicas in ("2147483648", "4294967298", "1000000"):
            with self.subTest(replicas=replicas):
                path = self.config(f"sharing: {{timeSlicing: {{resources: [{{name: gpu, replicas: {replicas}}}]}}}}\n")
                result = run("nvidia-device-plugin", "pcie-4xt4", "--driver-root-ctr-path", str(SIM_ROOT),
                             "--config-file", path, "--dry-run")
                self.assertEqual(result.returncode, 1)
                self.assertIn(f"sharing.timeSlicing.resources[0].replicas: number of replicas must be <= 16384, "
                              f"got {replicas}", result.stderr)

    def test_more_devices_than_a_kubelet_accepts_is_an_error(self):
        path = self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 8000}]}}\n")
        result = run("nvidia-device-plugin", "dgx-a100", "--driver-root-ctr-path", str(SIM_ROOT),
                     "--config-file", path, "--dry-run")
        self.assertEqual(result.returncode, 1)
        self.assertIn("'nvidia.com/gpu' would advertise 64000 devices (8 x 8000 replicas); the limit is 16384",
                      result.stderr)
        path = self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2048}]}}\n")
        result = run("nvidia-device-plugin", "dgx-a100", "--driver-root-ctr-path", str(SIM_ROOT),
                     "--config-file", path, "--dry-run", "--output", "json")
        self.assertEqual(result.returncode, 0, result.stderr)


class UnservableConfigTest(BadInput):
    def test_sighup_with_a_config_that_cannot_be_served_keeps_serving(self):
        """It parses, but preparing the resources fails (a required IMEX channel that does not
        exist): that used to stop every server and exit 1."""
        emulator = self.emulator()
        path = self.config(TIME_SLICING)
        plugin = self.plugin("pcie-4xt4", args=["--config-file", path])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        self.config("imex: {channelIDs: [0], required: true}\n")
        plugin.signal(signal.SIGHUP)
        plugin.wait_log(r"Not restarting: the new configuration cannot be served: .*IMEX.*; still serving the "
                        r"last good configuration")
        time.sleep(0.3)
        self.assertTrue(plugin.alive())
        self.assertEqual(len(emulator.registrations()), 1)
        self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))
        # A good config afterwards applies.
        self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 3}]}}\n")
        plugin.signal(signal.SIGHUP)
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 12"))
