"""Device health end to end: XID events, the DP_*_HEALTHCHECKS rules, replicas and MIG devices,
recovery, lost GPUs, a hung driver, the /healthz /readyz /metrics endpoint and a fault soak. The
real plugin on the NVML simulator, the kubelet emulator over unix sockets."""
import json
import os
import random
import re
import signal
import subprocess
import time
import unittest

from harness import BIN, GPU, SIM_ROOT, E2ETest, monotonic_ms, profile

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_prometheus(text):
    """{(name, ((label, value), ...)): value}; fails on anything not in the text format."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, _, labels, value = match.groups()
        pairs = tuple(LABEL.findall(labels or ""))
        assert ",".join(f'{k}="{v}"' for k, v, _ in pairs) == (labels or ""), line
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, f"sample before its TYPE: {line!r}"
        samples[(name, tuple((k, v) for k, v, _ in pairs))] = float(value)
    return samples


def mig_devices(profile_name, gpu_index):
    env = dict(os.environ, NVML_SIM_PROFILE=profile_name)
    env.pop("LD_LIBRARY_PATH", None)
    out = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                          "--dry-run", "--output", "json"], env=env, capture_output=True, text=True,
                         timeout=20, check=True)
    return json.loads(out.stdout)["gpus"][gpu_index]["migDevices"]


class XidTest(E2ETest):
    def test_critical_xid_marks_only_that_gpu_unhealthy_within_a_second(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        uuid = profile("dgx-a100")["gpus"][3]["uuid"]
        injected = monotonic_ms()
        plugin.inject(f"xid {uuid} 79")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=7 timeout=2"))
        latest = emulator.device_lists()[-1]
        self.assertLess(latest["t_ms"] - injected, 1000)
        self.assertEqual([d["id"] for d in latest["devices"] if d["health"] == "Unhealthy"], [uuid])
        plugin.wait_log(rf"XidCriticalError: Xid=79 on Device={uuid}; marking device as unhealthy")
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} 7"))
        self.assertNotIn(uuid, reply["request"])

    def test_application_xid_is_ignored(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        plugin.inject("xid 1 13")
        plugin.wait_log(r"Skipping event Xid=13")
        time.sleep(0.3)
        self.assertEqual(len(emulator.device_lists()), 1)

    def test_gpu_lost_before_start_is_left_out(self):
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100", faults="lost 2\n")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 7 healthy=7"))
        lost = profile("dgx-a100")["gpus"][2]["uuid"]
        self.assertNotIn(lost, [d["id"] for d in emulator.device_lists()[-1]["devices"]])
        self.assertIn("GPU 2 cannot be identified", plugin.log())
        self.assertReplyOk(emulator.send(f"allocate {GPU} 7"))

    def test_gpu_lost_without_an_event_is_found_by_the_probe(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--health-probe-interval=200ms"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        plugin.inject("fail * GPU_IS_LOST 3")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=3"))
        plugin.wait_log(r"Marking GPU-\S+ as unhealthy: NVML reports the GPU lost")
        self.assertReplyOk(emulator.send(f"allocate {GPU} 3"))


class HealthcheckEnvTest(E2ETest):
    """Spec §6.1's table, through the real environment variables."""

    CASES = [
        # (DP_DISABLE_HEALTHCHECKS, DP_ENABLE_HEALTHCHECKS, xid, marks the GPU)
        (None, None, 48, True),
        (None, None, 13, False),
        ("48", None, 48, False),
        ("48", "48", 48, True),
        (None, "all", 13, True),
        ("all", None, 48, False),
        ("xids", None, 79, False),
        ("all", "48", 48, False),  # upstream quirk: only enable=all overrides disable=all
    ]

    def test_every_row(self):
        for disabled, enabled, xid, marks in self.CASES:
            with self.subTest(disabled=disabled, enabled=enabled, xid=xid):
                env = {k: v for k, v in (("DP_DISABLE_HEALTHCHECKS", disabled),
                                         ("DP_ENABLE_HEALTHCHECKS", enabled)) if v is not None}
                emulator = self.emulator()
                plugin = self.plugin("pcie-4xt4", env=env)
                self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
                time.sleep(0.1)  # the monitor registers its events
                plugin.inject(f"xid 1 {xid}")
                if marks:
                    self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=2"))
                else:
                    time.sleep(0.5)
                    self.assertEqual(len(emulator.device_lists()), 1, plugin.log())
                plugin.stop()
                emulator.close()


class DerivedDevicesTest(E2ETest):
    def test_every_replica_of_a_failed_gpu_goes_unhealthy(self):
        config = self.tmp / "config.yaml"
        config.write_text("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 4}]}}\n")
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--config-file", str(config)])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 16 healthy=16"))
        uuid = profile("pcie-4xt4")["gpus"][2]["uuid"]
        plugin.inject(f"xid {uuid} 48")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 16 healthy=12 timeout=2"))
        unhealthy = sorted(d["id"] for d in emulator.device_lists()[-1]["devices"] if d["health"] == "Unhealthy")
        self.assertEqual(unhealthy, [f"{uuid}::{n}" for n in range(4)])

    def test_mig_events_reach_the_attributed_instance_or_the_whole_gpu(self):
        emulator = self.emulator()
        plugin = self.plugin("a100-mig-mixed", args=["--mig-strategy=mixed"])
        resources = {"nvidia.com/mig-1g.5gb": 5, "nvidia.com/mig-2g.10gb": 2, "nvidia.com/mig-3g.20gb": 1}
        for resource, count in resources.items():
            self.assertReplyOk(emulator.send(f"wait devices {resource} {count} healthy={count}"))
        migs = mig_devices("a100-mig-mixed", 0)  # 3g.20gb, 2g.10gb, 1g.5gb, 1g.5gb
        target = next(m for m in migs if m["profile"] == "1g.5gb")
        plugin.inject(f"xid 0 48 {target['gpuInstance']} {target['computeInstance']}")
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-1g.5gb 5 healthy=4 timeout=2"))
        unhealthy = [d["id"] for d in emulator.device_lists("nvidia.com/mig-1g.5gb")[-1]["devices"]
                     if d["health"] == "Unhealthy"]
        self.assertEqual(unhealthy, [target["uuid"]])
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-2g.10gb 2 healthy=2"))

        plugin.inject("xid 0 94")  # not attributable: every MIG device of GPU 0
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-3g.20gb 1 healthy=0 timeout=2"))
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-2g.10gb 2 healthy=1 timeout=2"))
        self.assertReplyOk(emulator.send("wait devices nvidia.com/mig-1g.5gb 5 healthy=3 timeout=2"))
        gpu0 = {m["uuid"] for m in migs}
        for resource in resources:
            for device in emulator.device_lists(resource)[-1]["devices"]:
                self.assertEqual(device["health"] == "Unhealthy", device["id"] in gpu0, device)


class RecoveryTest(E2ETest):
    def test_quiet_devices_recover_but_lost_ones_do_not(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--health-recovery-period=1s",
                                                "--health-probe-interval=200ms"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        time.sleep(0.1)
        plugin.inject("xid 1 48")
        plugin.inject("lost 2")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=2 timeout=2"))
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=4"))
        uuids = [g["uuid"] for g in profile("pcie-4xt4")["gpus"]]
        plugin.wait_log(rf"'{uuids[1]}' device marked healthy: no health event for 1 s")
        time.sleep(1.5)
        health = {d["id"]: d["health"] for d in emulator.device_lists()[-1]["devices"]}
        self.assertEqual(health[uuids[2]], "Unhealthy")
        self.assertEqual(health[uuids[1]], "Healthy")

    def test_without_a_recovery_period_unhealthy_stays_unhealthy(self):
        emulator = self.emulator()
        plugin = self.plugin("pcie-4xt4", args=["--health-probe-interval=200ms"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        time.sleep(0.1)
        plugin.inject("xid 1 48")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=2"))
        time.sleep(1.5)
        self.assertEqual(sum(d["health"] == "Healthy" for d in emulator.device_lists()[-1]["devices"]), 3)


class EndpointTest(E2ETest):
    @staticmethod
    def poll(plugin, path, status, timeout=3):
        """Waits until `path` answers `status`; returns the last status seen."""
        deadline = time.monotonic() + timeout
        while True:
            seen = plugin.get(path)[0]
            if seen == status or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)

    def start(self, *args, profile_name="pcie-4xt4"):
        emulator = self.emulator()
        plugin = self.plugin(profile_name, args=["--metrics-address=127.0.0.1:0", *args])
        self.assertReplyOk(emulator.send(f"wait registered {GPU}"))
        return emulator, plugin

    def test_probes_and_metrics_tell_what_happened(self):
        emulator, plugin = self.start()
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        self.assertEqual(plugin.get("/healthz"), (200, "ok\n"))
        self.assertEqual(self.poll(plugin, "/readyz", 200), 200)
        self.assertEqual(plugin.get("/readyz"), (200, "ready: 1 resource(s) served\n"))
        self.assertEqual(plugin.get("/nope")[0], 404)

        uuid = profile("pcie-4xt4")["gpus"][1]["uuid"]
        plugin.inject(f"xid {uuid} 48")
        plugin.inject(f"xid {uuid} 13")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=2"))
        self.assertReplyOk(emulator.send(f"allocate {GPU} 2"))
        self.assertFalse(emulator.send(f"allocate {GPU} GPU-bogus")["ok"])
        self.assertReplyOk(emulator.send(f"preferred {GPU} 2"))
        status, text = plugin.get("/metrics")
        self.assertEqual(status, 200)
        m = parse_prometheus(text)
        r = ("resource", GPU)
        self.assertEqual(m[("nvidia_device_plugin_xid_events_total", (("gpu", uuid), ("xid", "48"), ("ignored", "false")))], 1)
        self.assertEqual(m[("nvidia_device_plugin_xid_events_total", (("gpu", uuid), ("xid", "13"), ("ignored", "true")))], 1)
        self.assertEqual(m[("nvidia_device_plugin_marked_unhealthy_total", (("device", uuid), ("cause", "xid")))], 1)
        self.assertEqual(m[("nvidia_device_plugin_devices", (r, ("health", "Healthy")))], 3)
        self.assertEqual(m[("nvidia_device_plugin_devices", (r, ("health", "Unhealthy")))], 1)
        self.assertEqual(m[("nvidia_device_plugin_registered", (r,))], 1)
        self.assertEqual(m[("nvidia_device_plugin_registrations_total", (r,))], 1)
        self.assertEqual(m[("nvidia_device_plugin_requests_total", (r, ("method", "Allocate"), ("code", "OK")))], 1)
        self.assertEqual(m[("nvidia_device_plugin_requests_total", (r, ("method", "Allocate"), ("code", "InvalidArgument")))], 1)
        # The kubelet's allocate of a count asks GetPreferredAllocation first.
        self.assertEqual(m[("nvidia_device_plugin_requests_total", (r, ("method", "GetPreferredAllocation"), ("code", "OK")))], 2)
        self.assertEqual(m[("nvidia_device_plugin_request_duration_seconds_count", (r, ("method", "Allocate")))], 2)
        self.assertEqual(m[("nvidia_device_plugin_request_duration_seconds_bucket", (r, ("method", "Allocate"), ("le", "+Inf")))], 2)
        self.assertEqual(m[("nvidia_device_plugin_nvml_hung_calls", ())], 0)

        plugin.signal(signal.SIGHUP)
        self.assertReplyOk(emulator.send(f"wait registered {GPU} count=2 timeout=3"))
        deadline = time.monotonic() + 3
        while True:
            m = parse_prometheus(plugin.get("/metrics")[1])
            if m.get(("nvidia_device_plugin_registrations_total", (r,))) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(m[("nvidia_device_plugin_restarts_total", (("reason", "sighup"),))], 1)
        self.assertEqual(m[("nvidia_device_plugin_registrations_total", (r,))], 2)

    def test_readyz_fails_while_the_kubelet_is_gone(self):
        emulator, plugin = self.start()
        self.assertEqual(self.poll(plugin, "/readyz", 200), 200)
        (self.plugin_dir / "kubelet.sock").unlink()
        emulator.close()
        self.assertEqual(self.poll(plugin, "/readyz", 503), 503)
        self.assertEqual(plugin.get("/readyz"), (503, f"{GPU}: not registered with the kubelet\n"))
        self.assertEqual(plugin.get("/healthz")[0], 200)  # alive: no reason to restart it
        emulator = self.emulator()
        self.assertReplyOk(emulator.send(f"wait registered {GPU} timeout=3"))
        self.assertEqual(self.poll(plugin, "/readyz", 200), 200)

    def test_a_hung_driver_fails_healthz_and_grpc_keeps_answering(self):
        emulator, plugin = self.start("--health-probe-interval=200ms")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        plugin.inject("delay nvmlDeviceGetMemoryInfo 8000")
        self.poll(plugin, "/healthz", 503, timeout=8)
        status, body = plugin.get("/healthz")
        self.assertEqual(status, 503)
        self.assertRegex(body, r"NVML call hung: nvmlDeviceGetMemoryInfo for GPU-\S+ \(running \d+\.\d s\)")
        self.assertEqual(plugin.get("/readyz")[0], 503)
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=3 timeout=2"))
        self.assertIn("did not return within 5.0 s", plugin.log())
        started = time.monotonic()
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} 3"))
        self.assertLess(time.monotonic() - started, 1)
        self.assertLess(reply["latency_us"], 100000)
        plugin.inject("delay nvmlDeviceGetMemoryInfo 0")
        started = time.monotonic()
        plugin.signal(signal.SIGTERM)
        self.assertEqual(plugin.wait(5), 0)
        self.assertLess(time.monotonic() - started, 2.5)

    def test_nvml_answering_for_no_gpu_fails_healthz_until_it_answers(self):
        emulator, plugin = self.start("--health-probe-interval=200ms")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4"))
        plugin.inject("fail nvmlDeviceGetMemoryInfo UNKNOWN")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=0 timeout=3"))
        self.assertEqual(plugin.get("/healthz"), (503, "NVML answers for no GPU (UNKNOWN)\n"))
        plugin.inject("fail nvmlDeviceGetMemoryInfo SUCCESS")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4 healthy=4 timeout=3"))
        self.assertEqual(plugin.get("/healthz")[0], 200)

    def test_an_xid_during_an_outage_is_not_forgotten(self):
        """The XID arrives while NVML answers for no GPU; when NVML answers again only the
        outage ends, and the GPU stays unhealthy (it used to come back Healthy)."""
        emulator, plugin = self.start("--health-probe-interval=200ms", profile_name="dgx-a100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        uuid = profile("dgx-a100")["gpus"][3]["uuid"]
        plugin.inject("fail nvmlDeviceGetMemoryInfo UNKNOWN")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=0 timeout=3"))
        plugin.inject(f"xid {uuid} 48")
        plugin.wait_log(rf"XidCriticalError: Xid=48 on Device={uuid}")
        plugin.inject("fail nvmlDeviceGetMemoryInfo SUCCESS")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=7 timeout=3"))
        plugin.wait_log(rf"NVML answers for '{uuid}' again; it stays unhealthy: XID 48")
        time.sleep(0.6)  # three more probe rounds
        latest = emulator.device_lists()[-1]["devices"]
        self.assertEqual([d["id"] for d in latest if d["health"] == "Unhealthy"], [uuid])
        self.assertEqual(plugin.get("/healthz")[0], 200)
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} 7"))
        self.assertNotIn(uuid, reply["request"])

    def test_a_lost_gpu_does_not_hide_an_outage(self):
        emulator, plugin = self.start("--health-probe-interval=200ms", profile_name="dgx-a100")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        plugin.inject("lost 0")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=7 timeout=3"))
        plugin.inject("fail nvmlDeviceGetMemoryInfo UNKNOWN")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=0 timeout=3"))
        self.assertEqual(self.poll(plugin, "/healthz", 503), 503)
        self.assertEqual(plugin.get("/healthz"), (503, "NVML answers for no GPU (UNKNOWN)\n"))
        plugin.inject("fail nvmlDeviceGetMemoryInfo SUCCESS")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=7 timeout=3"))
        self.assertEqual(self.poll(plugin, "/healthz", 200), 200)

    def test_a_misbehaving_client_cannot_block_the_probes(self):
        """A client dripping its request and a pile of idle connections used to starve every
        liveness probe (one connection served at a time, 2 s per read)."""
        import socket
        emulator, plugin = self.start()
        port = plugin.http_port()
        dripper = socket.create_connection(("127.0.0.1", port))
        dripper.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            for _ in range(10):
                self.assertEqual(plugin.get("/healthz", timeout=2), (200, "ok\n"))
                dripper.sendall(b"s")
                time.sleep(0.1)
            self.assertEqual(plugin.get("/readyz", timeout=2)[0], 200)
            dripper.setblocking(False)
            with self.assertRaises(BlockingIOError):  # still connected: it did not have to finish first
                dripper.recv(1)
            # The deadline (5 s from accept) ends it.
            dripper.setblocking(True)
            dripper.settimeout(8)
            self.assertEqual(dripper.recv(1), b"")
            # More idle connections than the server keeps (64): the oldest make room.
            idle += [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
            self.assertEqual(plugin.get("/healthz", timeout=2), (200, "ok\n"))
        finally:
            dripper.close()
            for connection in idle:
                connection.close()

    def test_a_bad_address_stops_the_start(self):
        plugin = self.plugin("pcie-4xt4", args=["--metrics-address=8080"])
        self.assertEqual(plugin.wait(5), 1)
        self.assertIn('error starting the metrics endpoint: invalid listen address "8080"', plugin.log())


class SoakTest(E2ETest):
    FAULTS = 1000

    def test_a_thousand_mixed_faults(self):
        """GPUs 0-3 get everything, critical XIDs included; GPU 4 is lost once; GPUs 5-7 get only
        what must not change their health (application XIDs, ECC events, failing or slow probes,
        failing event waits)."""
        emulator = self.emulator()
        plugin = self.plugin("dgx-a100", args=["--metrics-address=127.0.0.1:0",
                                               "--health-probe-interval=100ms"])
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy=8"))
        uuids = [g["uuid"] for g in profile("dgx-a100")["gpus"]]
        rng = random.Random(20261127)
        critical, xid_lines = {4}, 0
        lost_at = rng.randrange(self.FAULTS)
        application = [13, 31, 43, 45, 68, 109]
        for n in range(self.FAULTS):
            gpu = rng.randrange(8)
            kind = rng.random()
            if n == lost_at:
                plugin.inject("lost 4")
                xid_lines += 1  # the simulator raises XID 79
            elif kind < 0.45:
                plugin.inject(f"xid {gpu} {rng.choice(application)}")
                xid_lines += 1
            elif kind < 0.55 and gpu < 4:
                plugin.inject(f"xid {gpu} {rng.choice([48, 63, 64, 74, 92, 94, 95])}")
                critical.add(gpu)
                xid_lines += 1
            elif kind < 0.75:
                plugin.inject(f"{rng.choice(['ecc-single', 'ecc-double'])} {gpu}")
            elif kind < 0.80:
                plugin.inject(f"fail nvmlEventSetWait {rng.choice(['UNKNOWN', 'SUCCESS'])}")
            elif kind < 0.85:
                plugin.inject(f"delay nvmlDeviceGetMemoryInfo {rng.choice([0, 5, 20])}")
            else:
                plugin.inject(f"fail nvmlDeviceGetMemoryInfo {rng.choice(['UNKNOWN', 'SUCCESS'])} {gpu}")
            time.sleep(0.002)  # spread over a few seconds, so faults meet the plugin in every state
            if n % 50 == 0:
                self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))
                self.assertTrue(plugin.alive(), plugin.log()[-3000:])
        for line in ("fail nvmlEventSetWait SUCCESS", "delay nvmlDeviceGetMemoryInfo 0",
                     "fail nvmlDeviceGetMemoryInfo SUCCESS"):
            plugin.inject(line)

        # Every XID is handled exactly once (the event wait may be backing off: allow for it).
        deadline, xids = time.monotonic() + 20, 0
        while time.monotonic() < deadline:
            m = parse_prometheus(plugin.get("/metrics")[1])
            xids = sum(v for (name, _), v in m.items() if name == "nvidia_device_plugin_xid_events_total")
            if xids >= xid_lines:
                break
            time.sleep(0.1)
        self.assertEqual(xids, xid_lines)
        healthy = 8 - len(critical)
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8 healthy={healthy} timeout=5"))
        self.assertTrue(plugin.alive())

        # Every list the kubelet saw: the same 8 devices; a device once unhealthy stays so.
        seen_unhealthy = set()
        for listing in emulator.device_lists():
            self.assertEqual(sorted(d["id"] for d in listing["devices"]), sorted(uuids))
            now_unhealthy = {d["id"] for d in listing["devices"] if d["health"] == "Unhealthy"}
            self.assertTrue(seen_unhealthy <= now_unhealthy)
            self.assertTrue({d["health"] for d in listing["devices"]} <= {"Healthy", "Unhealthy"})
            seen_unhealthy = now_unhealthy
        self.assertEqual(seen_unhealthy, {uuids[g] for g in critical})
        reply = self.assertReplyOk(emulator.send(f"allocate {GPU} {healthy}"))
        self.assertFalse(set(reply["request"]) & seen_unhealthy)
        plugin.signal(signal.SIGTERM)
        self.assertEqual(plugin.wait(5), 0)


if __name__ == "__main__":
    unittest.main()
