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


class HostileEnvironmentTest(BadInput):
    def test_a_missing_kubelet_directory_is_named_and_not_logged_every_second(self):
        missing = self.tmp / "not-yet"
        plugin = self.plugin("pcie-4xt4", kubelet_socket=str(missing / "kubelet.sock"))
        plugin.wait_log(rf"Could not serve 'nvidia.com/gpu' \(attempt 1, retrying\): cannot listen on "
                        rf"{missing}/nvidia-gpu.sock: the directory {missing} does not exist")
        time.sleep(3.5)  # three or more retries
        self.assertEqual(plugin.log().count("Could not serve"), 1, plugin.log())
        missing.mkdir()
        plugin.wait_log(r"Serving 'nvidia.com/gpu' after \d+ failed attempt\(s\)", timeout=5)
        self.assertTrue((missing / "nvidia-gpu.sock").is_socket())

    def test_a_directory_it_may_not_write_ends_the_plugin_with_the_way_out(self):
        import shutil
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv(1) to run the plugin as another user")
        os.chmod(self.tmp, 0o755)  # reachable, but dp/ stays root's 0755
        (self.tmp / "faults").touch()
        os.chmod(self.tmp / "faults", 0o644)
        # The runtime image (uid 65532) in a chart that does not run it as root: no retry can
        # fix that, so the plugin exits 1 and says what to change instead of retrying forever.
        plugin = self.plugin("pcie-4xt4",
                             wrapper=["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups"])
        self.assertEqual(plugin.wait(timeout=10), 1, plugin.log())
        log = plugin.log()
        self.assertIn(f"cannot create the plugin socket {self.plugin_dir}/nvidia-gpu.sock: "
                      f"Permission denied to create a socket in {self.plugin_dir}, "
                      "running as uid 65532 (gid 65532)", log)
        self.assertIn("use the -compat image, or run this one as root "
                      "(podSecurityContext.runAsUser=0)", log)
        lines = [line for line in log.splitlines() if "Permission denied" in line]
        self.assertEqual(len(lines), 1, log)  # one error line, not a gRPC dump as well
        self.assertRegex(lines[0], r"^E.*error starting plugins: cannot create the plugin socket")
        self.assertNotIn("retrying", log)

    def test_gfd_in_a_directory_it_may_not_write_names_the_way_out(self):
        import shutil
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv(1) to run gpu-feature-discovery as another user")
        os.chmod(self.tmp, 0o755)
        features = self.tmp / "features.d"  # the host's, root's 0755
        features.mkdir()
        result = subprocess.run(["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups",
                                 str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT),
                                 "--oneshot", "--output-file", str(features / "gfd")],
                                env=dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4", NVML_SIM_EVENTS="/nonexistent"),
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("E")]
        self.assertEqual(len(errors), 1, result.stderr)
        self.assertIn(f"error: cannot write {features}/gfd: cannot create a temporary file in {features}: "
                      "Permission denied; running as uid 65532 (gid 65532): use the -compat image, or run "
                      "this one as root (podSecurityContext.runAsUser=0)", errors[0])

    def test_a_second_plugin_does_not_take_the_first_ones_socket(self):
        emulator = self.emulator()
        first = self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
        socket_path = self.plugin_dir / "nvidia-gpu.sock"
        inode = socket_path.stat().st_ino
        second = self.plugin("pcie-4xt4")
        second.wait_log(rf"another process is serving {socket_path}; not taking its socket")
        time.sleep(2.5)  # the second retries; the first must keep its socket all along
        self.assertEqual(socket_path.stat().st_ino, inode)
        self.assertEqual(len(emulator.registrations()), 1)
        self.assertNotIn("was removed; serving", first.log())
        self.assertEqual(second.log().count("Could not serve"), 1)
        self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))
        # When the first goes away, the second takes over.
        self.assertEqual(first.stop(), 0)
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=5"))
        second.wait_log(r"Serving 'nvidia.com/gpu' after \d+ failed attempt\(s\)")


class GfdSignalsTest(BadInput):
    def test_a_one_millisecond_loop_still_ends_on_sigterm(self):
        out = self.tmp / "features"
        env = dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4", NVML_SIM_EVENTS="/nonexistent")
        env.pop("LD_LIBRARY_PATH", None)
        proc = subprocess.Popen([str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT),
                                 "--sleep-interval", "1ms", "--output-file", str(out)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(out.exists())
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(5), 0)
            self.assertFalse(out.exists())  # removed on exit, as upstream
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_a_bad_config_at_sighup_keeps_the_last_good_labels(self):
        out = self.tmp / "features"
        config = self.config("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 3}]}}\n")
        env = dict(os.environ, NVML_SIM_PROFILE="pcie-4xt4", NVML_SIM_EVENTS="/nonexistent")
        env.pop("LD_LIBRARY_PATH", None)
        log = self.tmp / "gfd.log"
        with open(log, "w") as sink:
            proc = subprocess.Popen([str(BIN / "gpu-feature-discovery"), "--driver-root-ctr-path", str(SIM_ROOT),
                                     "--config-file", config, "--sleep-interval", "100ms", "--output-file",
                                     str(out)], env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertIn("nvidia.com/gpu.replicas=3", out.read_text())
            self.config(CRASHERS["deep YAML"][0])
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while "Not reloading" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("Not reloading: the new configuration is invalid: config file", log.read_text())
            time.sleep(0.3)
            self.assertIsNone(proc.poll())
            self.assertIn("nvidia.com/gpu.replicas=3", out.read_text())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(5)
