"""Helpers for end-to-end tests: real binaries, the NVML simulator, the kubelet emulator.

Everything runs in a fresh temporary directory per test, over real unix sockets.
NVDP_BUILD_DIR points at the build tree (default: <repo>/build).
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("NVDP_BUILD_DIR", REPO / "build"))
BIN = BUILD / "bin"
SIM_ROOT = BUILD / "sim-root"
SIM_ROOT_TEGRA = BUILD / "sim-root-tegra"  # a Jetson: nv_tegra_release and libcuda, no NVML
GPU = "nvidia.com/gpu"


def profile(name):
    """The simulator profile as nvml-sim reports it (independent of the plugin's code)."""
    out = subprocess.run([str(BIN / "nvml-sim"), "show", name, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def gpu_kubelet_plugin(work, node, kubeconfig_path, profile_name, faults, args=(), env=None, wrapper=()):
    """argv and environment of gpu-kubelet-plugin on the simulator, its kubelet directories and
    CDI root under `work` (registry/, plugins/, cdi/), XIDs from the `faults` file."""
    full_env = dict(os.environ, NVML_SIM_PROFILE=profile_name, NVML_SIM_EVENTS=str(faults))
    full_env.pop("LD_LIBRARY_PATH", None)
    full_env.update(env or {})
    argv = [*wrapper, str(BIN / "gpu-kubelet-plugin"), "--node-name", node, "--container-driver-root", str(SIM_ROOT),
            "--cdi-root", str(work / "cdi"), "--kubelet-registrar-directory-path", str(work / "registry"),
            "--kubelet-plugins-directory-path", str(work / "plugins"), "--kubeconfig", str(kubeconfig_path), *args]
    return argv, full_env


def fake_tools_bin(directory):
    """A directory with copies of the simulated driver root's fake nvidia-smi and
    nvidia-cuda-mps-control, recording every call they get (sim/tools/fake_tools.h); put it first
    on PATH."""
    directory.mkdir()
    for tool in ("nvidia-smi", "nvidia-cuda-mps-control"):
        shutil.copy2(SIM_ROOT / "usr" / "bin" / tool, directory / tool)
    (directory / "nvidia-tools.calls.jsonl").touch()
    return directory


def monotonic_ms():
    return int(time.monotonic() * 1000)


class Emulator:
    """kubelet-emulator --json driven over stdin; events and replies are JSON lines."""

    def __init__(self, plugin_dir, cwd=None):
        """`cwd`: run it there with `plugin_dir` as given (relative paths work as typed)."""
        self.dir = Path(cwd or ".") / plugin_dir
        self.proc = subprocess.Popen([str(BIN / "kubelet-emulator"), "--dir", str(plugin_dir), "--json"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, cwd=cwd)
        self.lines = queue.Queue()
        self.events = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_event(lambda e: e.get("event") == "listening", 5)

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("{"):
                item = json.loads(line)
                with self._lock:
                    self.events.append(item)
                self.lines.put(item)

    def send(self, command, timeout=15):
        """Sends a command and returns its reply."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            item = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if "reply" in item:
                return item

    def wait_event(self, predicate, timeout):
        """Returns the first event (seen so far or arriving later) matching predicate."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for item in self.events:
                    if "event" in item and predicate(item):
                        return item
            time.sleep(0.01)
        raise AssertionError(f"no matching event within {timeout}s; saw {self.events[-5:]}")

    def device_lists(self, resource=GPU):
        with self._lock:
            return [e for e in self.events if e.get("event") == "devices" and e["resource"] == resource]

    def registrations(self, resource=GPU):
        with self._lock:
            return [e for e in self.events if e.get("event") == "registered" and e["resource"] == resource]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (BrokenPipeError, OSError):
                pass


class LoggedProcess:
    """A program under test with its stdout and stderr in a log file."""

    def __init__(self, argv, env, log_path):
        self.argv = list(argv)
        self.log_path = Path(log_path)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.argv, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self):
        return self.log_path.read_text()

    def wait_log(self, pattern, timeout=5, count=1):
        """The last of the first `count` matches; fails once the process has exited without them."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            matches = list(re.finditer(pattern, self.log()))
            if len(matches) >= count:
                return matches[count - 1]
            if exited or time.monotonic() >= deadline:
                raise AssertionError(f"log never matched {pattern!r} {count}x:\n{self.log()}")
            time.sleep(0.02)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=5):
        return self.proc.wait(timeout)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=5):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Plugin(LoggedProcess):
    """nvidia-device-plugin on the simulator, its log captured to a file."""

    def __init__(self, workdir, profile_name, args=(), env=None, kubelet_socket=None, faults=None,
                 wrapper=(), binary=None):
        self.workdir = Path(workdir)
        self.faults = self.workdir / "faults"
        if faults is not None:
            self.faults.write_text(faults)
        full_env = dict(os.environ, NVML_SIM_PROFILE=profile_name, NVML_SIM_EVENTS=str(self.faults))
        full_env.pop("LD_LIBRARY_PATH", None)
        full_env.update(env or {})
        socket = kubelet_socket if kubelet_socket is not None else str(self.workdir / "dp" / "kubelet.sock")
        argv = [*wrapper, str(binary or BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                "--kubelet-socket", socket, *args]
        self.started_ms = monotonic_ms()
        super().__init__(argv, full_env, self.workdir / f"plugin-{monotonic_ms()}.log")

    def http_port(self, timeout=5):
        """The port of --metrics-address (pass 127.0.0.1:0 to get a free one)."""
        if getattr(self, "_port", None):
            return self._port
        match = self.wait_log(r"Serving /healthz, /readyz and /metrics on \S+ \(port (\d+)\)", timeout)
        self._port = int(match.group(1))
        return self._port

    def get(self, path, timeout=5):
        """(status, body) of an HTTP GET on the metrics endpoint."""
        url = f"http://127.0.0.1:{self.http_port()}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def inject(self, line):
        with open(self.faults, "a") as f:
            f.write(line + "\n")



class E2ETest(unittest.TestCase):
    """Gives each test a temporary directory and stops what it started."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="nvdp-e2e-"))
        self.plugin_dir = self.tmp / "dp"
        self.plugin_dir.mkdir()
        self._stops = []

    def tearDown(self):
        for stop in reversed(self._stops):
            stop()
        if os.environ.get("NVDP_KEEP_TMP"):
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def emulator(self):
        emulator = Emulator(self.plugin_dir)
        self._stops.append(emulator.close)
        return emulator

    def plugin(self, profile_name, **kwargs):
        plugin = Plugin(self.tmp, profile_name, **kwargs)
        self._stops.append(plugin.stop)
        return plugin

    def assertReplyOk(self, reply):
        self.assertTrue(reply.get("ok"), reply)
        return reply
