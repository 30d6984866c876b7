"""config-manager end to end, against the fake Kubernetes API server (real HTTPS, watch protocol)
with a real device plugin to switch: the node label picks a config from the ConfigMap directory,
the link is updated and the plugin reloads; a bad label keeps the last good config; the watch
survives 410 Gone and dropped connections; TLS and credentials are checked."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from fake_apiserver import CERTS, FakeApiServer, kubeconfig
from harness import BIN, GPU, E2ETest, LoggedProcess

NODE = "gpu-node-1"
LABEL = "nvidia.com/device-plugin.config"
CONFIGS = {
    "default": "version: v1\n",
    "ts-2": "version: v1\nsharing: {timeSlicing: {resources: [{name: nvidia.com/gpu, replicas: 2}]}}\n",
    "ts-3": "version: v1\nsharing: {timeSlicing: {resources: [{name: nvidia.com/gpu, replicas: 3}]}}\n",
}


class ConfigManager(LoggedProcess):
    def __init__(self, workdir, args, env, command=None):
        full_env = dict(os.environ)
        full_env.pop("KUBERNETES_SERVICE_HOST", None)
        full_env.update(env)
        super().__init__([*(command or [str(BIN / "config-manager")]), *args], full_env,
                         Path(workdir) / f"config-manager-{time.monotonic_ns()}.log")


class ConfigManagerTest(E2ETest):
    def setUp(self):
        super().setUp()
        self.api = FakeApiServer().start()
        self.addCleanup(self.api.stop)
        self.configs = self.tmp / "available-configs"
        self.configs.mkdir()
        for name, text in CONFIGS.items():
            (self.configs / name).write_text(text)
        (self.tmp / "config").mkdir()
        self.dst = self.tmp / "config" / "config.yaml"
        self.kubeconfig = kubeconfig(self.tmp / "kubeconfig", self.api.url)

    def config_manager(self, *args, oneshot=False, send_signal=False, process=None, env=None,
                       kubeconfig_path=None):
        full_env = {"KUBECONFIG": kubeconfig_path or self.kubeconfig, "NODE_NAME": NODE,
                    "CONFIG_FILE_SRCDIR": str(self.configs), "CONFIG_FILE_DST": str(self.dst),
                    "FALLBACK_STRATEGIES": "named,single", "ONESHOT": str(oneshot).lower(),
                    "SEND_SIGNAL": str(send_signal).lower()}
        if process:
            full_env["PROCESS_TO_SIGNAL"] = process
        full_env.update(env or {})
        manager = ConfigManager(self.tmp, args, full_env)
        self.addCleanup(manager.stop)
        return manager

    def linked(self):
        return os.readlink(self.dst) if self.dst.is_symlink() else None

    def start_plugin(self):
        """A device plugin reading the managed config, under a name no other test uses."""
        binary = self.tmp / "bin" / "nvidia-device-plugin"
        binary.parent.mkdir()
        binary.symlink_to(BIN / "nvidia-device-plugin")
        emulator = self.emulator()
        self.plugin("pcie-4xt4", args=["--config-file", str(self.dst)], binary=binary)
        return emulator, str(binary)

    def test_the_label_switches_the_plugins_config(self):
        self.api.set_label(NODE, "kubernetes.io/hostname", NODE)
        init = self.config_manager(oneshot=True)  # the init container
        self.assertEqual(init.proc.wait(10), 0, init.log())
        self.assertEqual(self.linked(), str(self.configs / "default"))

        emulator, binary = self.start_plugin()
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        sidecar = self.config_manager(send_signal=True, process=binary)
        sidecar.wait_log(r"Already configured")

        self.api.set_label(NODE, LABEL, "ts-2")
        sidecar.wait_log(r"Sent signal 1 to ")
        self.assertEqual(self.linked(), str(self.configs / "ts-2"))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 timeout=5"))

        # A label naming a missing config: logged, the last good config kept, still watching.
        self.api.set_label(NODE, LABEL, "nope")
        sidecar.wait_log(r"Not applying the config for nvidia.com/device-plugin.config=nope: "
                         r"specified config nope does not exist; keeping .*ts-2")
        self.assertIsNone(sidecar.proc.poll())
        self.assertEqual(self.linked(), str(self.configs / "ts-2"))

        self.api.set_label(NODE, LABEL, "ts-3")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 12 timeout=5"))
        self.api.set_label(NODE, LABEL, None)  # removed: back to the default
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 timeout=5"))
        self.assertEqual(self.linked(), str(self.configs / "default"))
        self.assertEqual(sidecar.stop(), 0)

    def test_oneshot_uses_the_label_and_fails_on_a_missing_config(self):
        self.api.set_label(NODE, LABEL, "ts-3")
        init = self.config_manager(oneshot=True)
        self.assertEqual(init.proc.wait(10), 0, init.log())
        self.assertEqual(self.linked(), str(self.configs / "ts-3"))  # waited for the first sync

        self.api.set_label(NODE, LABEL, "nope")
        init = self.config_manager(oneshot=True)
        self.assertEqual(init.proc.wait(10), 1)
        self.assertIn("error updating the config for nvidia.com/device-plugin.config=nope: "
                      "specified config nope does not exist", init.log())
        self.assertEqual(self.linked(), str(self.configs / "ts-3"))

    def test_fallbacks(self):
        self.api.set_label(NODE, "other", "x")
        for fallbacks, files, expected, code in [
            ("named,single", ["default", "ts-2"], "default", 0),
            ("named,single", ["ts-2"], "ts-2", 0),
            ("named,empty", ["ts-2", "ts-3"], "/dev/null", 0),
            ("single", ["ts-2", "ts-3"], "no config was set, no default was provided, and all fallbacks failed", 1),
            ("bogus", ["ts-2"], "unknown fallback strategy", 1),
        ]:
            with self.subTest(fallbacks=fallbacks, files=files):
                for f in self.configs.iterdir():
                    f.unlink()
                for name in files:
                    (self.configs / name).write_text(CONFIGS[name])
                if self.dst.is_symlink():
                    self.dst.unlink()
                init = self.config_manager(oneshot=True, env={"FALLBACK_STRATEGIES": fallbacks})
                self.assertEqual(init.proc.wait(10), code, init.log())
                if code == 0:
                    want = expected if expected.startswith("/") else str(self.configs / expected)
                    self.assertEqual(self.linked(), want)
                else:
                    self.assertIn(expected, init.log())

    def test_the_watch_survives_expiry_and_disconnects(self):
        self.api.set_label(NODE, LABEL, "ts-2")
        sidecar = self.config_manager()
        sidecar.wait_log(r"Updated .* for nvidia.com/device-plugin.config=ts-2")
        self.assertTrue(self.api.wait_for(lambda: self.api.open_watches == 1))

        lists_before = sum(1 for m, p, _ in self.api.requests if m == "GET" and "watch" not in p)
        self.api.expire_watches()  # 410 Gone: list again, then watch
        self.assertTrue(self.api.wait_for(
            lambda: sum(1 for m, p, _ in self.api.requests if m == "GET" and "watch" not in p) > lists_before))
        self.api.set_label(NODE, LABEL, "ts-3")
        sidecar.wait_log(r"Updated .* for nvidia.com/device-plugin.config=ts-3")
        self.assertIn("expired", sidecar.log())

        self.api.drop_watches()  # the connection breaks: reconnect from the last version
        self.assertTrue(self.api.wait_for(lambda: self.api.open_watches == 1, timeout=10))
        self.api.set_label(NODE, LABEL, "default")
        sidecar.wait_log(r"Updated .* for nvidia.com/device-plugin.config=default")

        self.api.delete_node(NODE)  # gone: as an unset label
        sidecar.wait_log(r"Already configured", timeout=5)
        self.assertEqual(sidecar.stop(), 0)

    def test_tls_is_verified_and_credentials_are_sent(self):
        self.api.set_label(NODE, LABEL, "ts-2")
        wrong_ca = kubeconfig(self.tmp / "wrong-ca", self.api.url, ca=CERTS / "other-ca.crt")
        manager = self.config_manager(kubeconfig_path=wrong_ca)
        manager.wait_log(r"TLS handshake with 127.0.0.1 failed: certificate verify failed")
        self.assertEqual(manager.stop(), 0)
        self.assertFalse(self.dst.exists())

        by_name = kubeconfig(self.tmp / "by-name", self.api.url.replace("127.0.0.1", "localhost"))
        manager = self.config_manager(kubeconfig_path=by_name, oneshot=True)
        self.assertEqual(manager.proc.wait(10), 0, manager.log())

        bad_token = kubeconfig(self.tmp / "bad-token", self.api.url, token="wrong")
        manager = self.config_manager(kubeconfig_path=bad_token)
        manager.wait_log(r"HTTP 401: Unauthorized")
        manager.stop()

        certificate = kubeconfig(self.tmp / "cert", self.api.url, client_cert=True)
        manager = self.config_manager(kubeconfig_path=certificate, oneshot=True)
        self.assertEqual(manager.proc.wait(10), 0, manager.log())
        self.assertEqual(self.linked(), str(self.configs / "ts-2"))
        self.assertIn("client-certificate", {auth for _, _, auth in self.api.requests})
        self.assertIn("token", {auth for _, _, auth in self.api.requests})

    def test_required_settings(self):
        result = subprocess.run([str(BIN / "config-manager")], env={"NODE_NAME": NODE}, capture_output=True,
                                text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("invalid <config-file-srcdir>: must not be empty string", result.stderr)
        result = subprocess.run([str(BIN / "config-manager"), "--config-file-srcdir", "/x", "--config-file-dst", "/y"],
                                env={"NODE_NAME": NODE, "KUBECONFIG": ""}, capture_output=True, text=True,
                                timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not running in a cluster", result.stderr)


class FipsTlsTest(E2ETest):
    """nvdp-fips (the FIPS image's binary) talks to the API server only with approved algorithms."""

    def start(self, api, command):
        self.addCleanup(api.stop)
        configs = self.tmp / "available-configs"
        configs.mkdir(exist_ok=True)
        (configs / "default").write_text("version: v1\n")
        api.set_label(NODE, "kubernetes.io/hostname", NODE)
        env = {"KUBECONFIG": kubeconfig(self.tmp / "kubeconfig", api.url), "NODE_NAME": NODE,
               "CONFIG_FILE_SRCDIR": str(configs), "CONFIG_FILE_DST": str(self.tmp / "config.yaml"),
               "FALLBACK_STRATEGIES": "named,single", "ONESHOT": "true", "SEND_SIGNAL": "false"}
        manager = ConfigManager(self.tmp, [], env, command=command)
        self.addCleanup(manager.stop)
        return manager

    def test_chacha20_is_refused_and_aes_gcm_accepted(self):
        fips = [str(BIN / "nvdp-fips"), "config-manager"]
        refused = self.start(FakeApiServer(tls12_ciphers="ECDHE-RSA-CHACHA20-POLY1305").start(), fips)
        refused.wait_log(r"TLS handshake with 127.0.0.1 failed: sslv3 alert handshake failure")
        refused.stop()
        accepted = self.start(FakeApiServer(tls12_ciphers="ECDHE-RSA-CHACHA20-POLY1305").start(),
                              [str(BIN / "nvdp"), "config-manager"])
        self.assertEqual(accepted.proc.wait(20), 0, accepted.log())  # the default build takes it
        fips_ok = self.start(FakeApiServer(tls12_ciphers="ECDHE-RSA-AES256-GCM-SHA384").start(), fips)
        self.assertEqual(fips_ok.proc.wait(20), 0, fips_ok.log())
