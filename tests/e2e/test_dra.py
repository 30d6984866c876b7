"""gpu-kubelet-plugin end to end: the real binary on the NVML simulator, the DRA kubelet emulator
(dra_kubelet.py, from the reference protos) over real unix sockets, and the fake API server over
HTTPS: published ResourceSlices, prepare and unprepare, per-claim CDI specs, the checkpoint across
restarts, crashes at every step and corruption, API outages, kubelet restarts."""
import json
import os
import re
import subprocess
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import yaml
from dra_kubelet import DraKubelet
from fake_apiserver import FakeApiServer, kubeconfig
from harness import BIN, SIM_ROOT, E2ETest, LoggedProcess, gpu_kubelet_plugin, profile

NODE = "node-a"
DRIVER = "gpu.nvidia.com"
CRASH_STEPS = ["prepare-started", "prepare-sharing-applied", "prepare-cdi-written", "prepare-completed"]
UNPREPARE_CRASH_STEPS = ["unprepare-sharing-undone", "unprepare-cdi-removed", "unprepare-completed"]


def wait_until(predicate, timeout=10, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


class DraBase(E2ETest):
    profile_name = "dgx-a100"

    def setUp(self):
        super().setUp()
        self.api = FakeApiServer().start()
        self._stops.append(self.api.stop)
        self.api.set_label(NODE, "kubernetes.io/hostname", NODE)
        self.kubeconfig = kubeconfig(self.tmp / "kubeconfig", self.api.url)
        self.registry = self.tmp / "registry"
        self.plugins = self.tmp / "plugins"
        self.cdi = self.tmp / "cdi"
        self.boot_id = self.tmp / "boot_id"
        self.boot_id.write_text("boot-1\n")
        self.checkpoint = self.plugins / DRIVER / "checkpoint.json"

    def start(self, env=None, args=(), profile_name=None, wrapper=()):
        self.faults = self.tmp / "faults"
        self.faults.touch()
        argv, full_env = gpu_kubelet_plugin(
            self.tmp, NODE, self.kubeconfig, profile_name or self.profile_name, self.faults,
            args=["--claim-reconcile-interval", "300ms", *args],
            env={"NVDP_DRA_BOOT_ID_FILE": str(self.boot_id), **(env or {})}, wrapper=wrapper)
        plugin = LoggedProcess(argv, full_env, self.tmp / f"dra-{time.monotonic_ns()}.log")
        self._stops.append(plugin.stop)
        return plugin

    def kubelet(self, **kwargs):
        kubelet = DraKubelet(self.registry, **kwargs)
        self._stops.append(kubelet.close)
        return kubelet

    def slices(self, count=1, timeout=10):
        return wait_until(lambda: (s := self.api.node_slices(NODE)) and len(s) >= count and s, timeout)

    def devices(self):
        return {d["name"]: d for s in self.slices() for d in s["spec"]["devices"]}

    def claim(self, name, devices, uid=None, namespace="default", config=None):
        uid = uid or f"uid-{name}"
        self.api.add_claim(namespace, name, uid, [(f"req-{i}", NODE, d) for i, d in enumerate(devices)],
                           config=config)
        return (namespace, name, uid)

    def spec_path(self, uid):
        return self.cdi / f"k8s.gpu.nvidia.com-claim_{uid}.json"

    def stored_claims(self):
        envelope = json.loads(self.checkpoint.read_text())
        return json.loads(envelope["data"])["claims"]


class PublishedSlicesTest(DraBase):
    def test_dgx_a100_slice_has_every_gpu_with_the_anchors_attributes(self):
        plugin = self.start()
        slices = self.slices()
        self.assertEqual(len(slices), 1)
        spec = slices[0]["spec"]
        self.assertEqual((spec["driver"], spec["nodeName"], spec["pool"]["name"]), (DRIVER, NODE, NODE))
        self.assertEqual(spec["pool"]["resourceSliceCount"], 1)
        self.assertGreaterEqual(spec["pool"]["generation"], 1)
        owner = slices[0]["metadata"]["ownerReferences"][0]
        self.assertEqual((owner["kind"], owner["name"], owner["uid"]), ("Node", NODE, f"uid-node-{NODE}"))
        self.assertTrue(slices[0]["metadata"]["name"].startswith(f"{NODE}-{DRIVER}-"))
        gpus = profile(self.profile_name)["gpus"]
        devices = {d["name"]: d for d in spec["devices"]}
        self.assertEqual(sorted(devices), sorted(f"gpu-{g['minor']}" for g in gpus))
        for gpu in gpus:
            device = devices[f"gpu-{gpu['minor']}"]
            attrs = device["attributes"]
            self.assertEqual(attrs["type"], {"string": "gpu"})
            self.assertEqual(attrs["uuid"], {"string": gpu["uuid"]})
            self.assertEqual(attrs["productName"], {"string": gpu["name"]})
            self.assertEqual(attrs["architecture"], {"string": "Ampere"})
            self.assertEqual(attrs["brand"], {"string": "Nvidia"})  # the simulator's NVML_BRAND_NVIDIA
            self.assertEqual(attrs["resource.kubernetes.io/numaNode"], {"int": gpu["numaNode"]})
            self.assertEqual(attrs["cudaComputeCapability"], {"version": "8.0.0"})
            self.assertEqual(attrs["resource.kubernetes.io/pciBusID"], {"string": gpu["pciBusId"][4:].lower()})
            self.assertRegex(attrs["resource.kubernetes.io/pcieRoot"]["string"], r"^pci[0-9a-f]{4}:[0-9a-f]{2}$")
            self.assertRegex(attrs["driverVersion"]["version"], r"^\d+\.\d+\.\d+$")
            self.assertEqual(device["capacity"]["memory"], {"value": f"{gpu['memoryMiB'] // 1024}Gi"})
        plugin.wait_log("Published 1 ResourceSlices of pool node-a")

    def test_mig_devices_are_named_by_profile_and_placement(self):
        self.start(profile_name="a100-mig-mixed")
        gpus = {g["uuid"]: g for g in profile("a100-mig-mixed")["gpus"]}
        devices = self.devices()
        migs = [d for d in devices.values() if d["attributes"]["type"]["string"] == "mig"]
        self.assertTrue(migs)
        for device in migs:
            attrs = device["attributes"]
            parent = gpus[attrs["parentUUID"]["string"]]
            self.assertTrue(attrs["uuid"]["string"].startswith("MIG-"))
            compact = re.sub(r"[^a-z0-9]", "", attrs["profile"]["string"])
            match = re.fullmatch(rf"gpu-{parent['minor']}-mig-{compact}-(\d+)-(\d+)", device["name"])
            self.assertIsNotNone(match, device["name"])
            slices = sorted(int(k[len("memorySlice"):]) for k in device["capacity"] if k.startswith("memorySlice"))
            self.assertTrue(slices, device)
            self.assertEqual(slices[0], int(match.group(2)), device["name"])  # placement start
            for key in ("multiprocessors", "copyEngines", "decoders", "encoders", "jpegEngines", "ofaEngines", "memory"):
                self.assertIn(key, device["capacity"])
        # A GPU with MIG enabled is published through its MIG devices only.
        parents = {d["attributes"]["parentUUID"]["string"] for d in migs}
        whole = {d["attributes"]["uuid"]["string"] for d in devices.values() if d["attributes"]["type"]["string"] == "gpu"}
        self.assertFalse(parents & whole)

    def test_the_device_classes_select_what_is_published(self):
        """deployments/static/dra-deviceclasses.yaml: each class's CEL selects one `type` of ours."""
        manifest = Path(__file__).parents[2] / "deployments" / "static" / "dra-deviceclasses.yaml"
        classes = {c["metadata"]["name"]: c for c in yaml.safe_load_all(manifest.read_text())}
        self.assertEqual(sorted(classes), ["gpu.nvidia.com", "mig.nvidia.com"])
        selected = {}
        for name, cls in classes.items():
            self.assertEqual((cls["apiVersion"], cls["kind"]), ("resource.k8s.io/v1", "DeviceClass"))
            (selector,) = cls["spec"]["selectors"]
            match = re.fullmatch(r"device\.driver == 'gpu\.nvidia\.com' && "
                                 r"device\.attributes\['gpu\.nvidia\.com'\]\.type == '(\w+)'",
                                 selector["cel"]["expression"])
            self.assertIsNotNone(match, selector)
            selected[match.group(1)] = name
        self.start(profile_name="a100-mig-mixed")
        types = {d["attributes"]["type"]["string"] for d in self.devices().values()}
        self.assertEqual(types, set(selected))  # every device is in exactly one class

    def test_slices_deleted_by_the_kubelet_are_published_again(self):
        plugin = self.start()
        first = self.slices()[0]
        self.api.delete_slices(NODE)
        again = wait_until(lambda: self.api.node_slices(NODE))
        self.assertNotEqual(again[0]["metadata"]["name"], first["metadata"]["name"])
        self.assertEqual(again[0]["spec"]["devices"], first["spec"]["devices"])
        self.assertGreater(again[0]["spec"]["pool"]["generation"], first["spec"]["pool"]["generation"])
        plugin.wait_log("was deleted; publishing again")

    def test_stale_and_foreign_edits_are_repaired(self):
        self.start()
        slices = self.slices()
        with self.api.cond:  # someone edits our slice, and leaves a second one in our pool
            edited = json.loads(json.dumps(slices[0]))
            edited["spec"]["devices"] = edited["spec"]["devices"][:1]
            self.api.slices[edited["metadata"]["name"]] = self.api._record_slice("MODIFIED", edited)
            extra = json.loads(json.dumps(slices[0]))
            extra["metadata"].update(name="stale-slice", uid="uid-stale")
            self.api.slices["stale-slice"] = self.api._record_slice("ADDED", extra)
        def repaired():
            now = self.api.node_slices(NODE)
            return len(now) == 1 and len(now[0]["spec"]["devices"]) == 8 and now
        wait_until(repaired)
        deletes = [r for r in self.api.requests if r[0] == "DELETE"]
        self.assertTrue(any("stale-slice" in r[1] for r in deletes))

    def test_publishing_survives_an_api_outage_and_watch_expiry(self):
        self.api.fail_next = [503, 503, 503]
        plugin = self.start()
        self.slices(timeout=15)
        self.assertIn("retrying", plugin.log())
        lists_before = len([r for r in self.api.requests if r[0] == "GET" and "resourceslices?" in r[1]
                            and "watch" not in r[1]])
        self.api.expire_watches()
        wait_until(lambda: len([r for r in self.api.requests if r[0] == "GET" and "resourceslices?" in r[1]
                                and "watch" not in r[1]]) > lists_before)
        self.assertEqual(len(self.api.node_slices(NODE)), 1)

    def test_dry_run_prints_the_slices_as_yaml_and_json(self):
        base = [str(BIN / "gpu-kubelet-plugin"), "--node-name", NODE, "--container-driver-root", str(SIM_ROOT),
                "--dry-run"]
        env = dict(os.environ, NVML_SIM_PROFILE="dgx-a100")
        env.pop("LD_LIBRARY_PATH", None)
        out = subprocess.run(base + ["--output", "json"], env=env, capture_output=True, text=True, check=True).stdout
        slices = json.loads(out)
        self.assertEqual(len(slices), 1)
        self.assertEqual(len(slices[0]["spec"]["devices"]), 8)
        yaml = subprocess.run(base, env=env, capture_output=True, text=True, check=True).stdout
        self.assertTrue(yaml.startswith("---\napiVersion: \"resource.k8s.io/v1\"\n"))
        self.assertEqual(yaml.count("  - attributes:"), 8)
        bad = subprocess.run(base + ["--output", "xml"], env=env, capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("invalid <output>", bad.stderr)
        missing = subprocess.run(base[:1] + base[3:], env=env, capture_output=True, text=True)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("invalid <node-name>: must not be empty string", missing.stderr)


class ObservabilityTest(DraBase):
    def get(self, port, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def grpc_health(self, port):
        """grpc.health.v1.Health/Check for the server's overall status, on the raw wire: an
        empty request; the answer's field 1 is the status (1 SERVING, 2 NOT_SERVING)."""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda x: x,
                                        response_deserializer=lambda x: x)
            answer = check(b"", timeout=5)
        return {b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING"}.get(answer, answer)

    def test_probes_metrics_and_the_grpc_health_service(self):
        plugin = self.start(args=["--http-endpoint", "127.0.0.1:0", "--healthcheck-port", "0"])
        http = int(plugin.wait_log(r"Serving /healthz, /readyz and /metrics on \S+ \(port (\d+)\)").group(1))
        health = int(plugin.wait_log(r"Serving the gRPC health service on port (\d+)").group(1))
        self.slices()
        self.assertEqual(self.get(http, "/healthz"), (200, "ok\n"))
        code, body = self.get(http, "/readyz")  # no kubelet yet
        self.assertEqual(code, 503)
        self.assertIn("not registered with the kubelet", body)
        self.assertEqual(self.grpc_health(health), "NOT_SERVING")
        kubelet = self.kubelet()
        kubelet.wait_registered()
        wait_until(lambda: self.get(http, "/readyz")[0] == 200)
        wait_until(lambda: self.grpc_health(health) == "SERVING")
        claim = self.claim("m", ["gpu-0"])
        kubelet.prepare([claim, ("default", "gone", "uid-gone")])
        code, metrics = self.get(http, "/metrics")
        self.assertEqual(code, 200)
        self.assertIn('gpu_kubelet_plugin_claims_total{method="prepare",result="ok"} 1', metrics)
        self.assertIn('gpu_kubelet_plugin_claims_total{method="prepare",result="error"} 1', metrics)
        self.assertIn("gpu_kubelet_plugin_prepared_claims 1", metrics)
        self.assertIn('gpu_kubelet_plugin_devices{health="Healthy"} 8', metrics)
        self.assertIn("gpu_kubelet_plugin_registered 1", metrics)
        self.assertRegex(metrics, r'gpu_kubelet_plugin_slice_syncs_total\{result="ok"\} [1-9]')
        self.assertIn('gpu_kubelet_plugin_claim_duration_seconds_count{method="prepare"} 2', metrics)
        self.assertIn("gpu_kubelet_plugin_xid_events_total", metrics)
        self.assertEqual(self.get(http, "/nothing")[0], 404)
        self.api.fail_next = [503] * 50  # the API server fails: not ready, the probe says so
        self.api.delete_slices(NODE)
        wait_until(lambda: self.get(http, "/readyz")[0] == 503, timeout=10)
        self.assertIn("ResourceSlices not in sync", self.get(http, "/readyz")[1])
        wait_until(lambda: self.grpc_health(health) == "NOT_SERVING")
        self.assertEqual(self.get(http, "/healthz")[0], 200)  # alive all the same


class HealthStreamTest(DraBase):
    def test_an_xid_reaches_the_kubelet_within_a_second_and_lists_are_resent(self):
        plugin = self.start(args=["--device-health-timeout", "3s"])
        kubelet = self.kubelet()
        streams = {v: kubelet.watch_health(v) for v in ("v1.DRAResourceHealth", "v1alpha1.DRAResourceHealth")}
        for stream in streams.values():
            first = stream.wait(lambda entry: True)
            self.assertEqual(sorted(first), [f"gpu-{i}" for i in range(8)])
            self.assertEqual(set(first.values()), {("HEALTHY", "", 3)})
        uuids = {g["minor"]: g["uuid"] for g in profile(self.profile_name)["gpus"]}
        sent = time.monotonic()
        with open(self.faults, "a") as faults:
            faults.write(f"xid {uuids[3]} 79\n")
        for version, stream in streams.items():
            entry = stream.wait(lambda e: e["gpu-3"][0] == "UNHEALTHY", timeout=2)
            arrived = next(t for t, e in stream.lists if e["gpu-3"][0] == "UNHEALTHY")
            self.assertLess(arrived - sent, 1.0, version)
            self.assertIn("XID 79", entry["gpu-3"][1])
            self.assertEqual({k for k, v in entry.items() if v[0] == "HEALTHY"},
                             {f"gpu-{i}" for i in range(8)} - {"gpu-3"})
        # Nothing changes now; the list comes again before the 3 s timeout.
        stream = streams["v1.DRAResourceHealth"]
        count = len(stream.lists)
        time.sleep(2.2)
        self.assertGreater(len(stream.lists), count)
        gaps = [b[0] - a[0] for a, b in zip(stream.lists, stream.lists[1:])]
        self.assertLess(max(gaps), 3.0)
        for stream in streams.values():
            stream.close()
        self.assertTrue(plugin.alive())

    def test_recovery_returns_the_device_to_healthy_when_enabled(self):
        self.start(args=["--health-recovery-period", "1s", "--health-probe-interval", "200ms"])
        stream = self.kubelet().watch_health()
        stream.wait(lambda entry: True)
        uuids = {g["minor"]: g["uuid"] for g in profile(self.profile_name)["gpus"]}
        with open(self.faults, "a") as faults:
            faults.write(f"xid {uuids[5]} 48\n")  # a double-bit ECC error: may recover
        stream.wait(lambda e: e["gpu-5"][0] == "UNHEALTHY", timeout=3)
        def recovered():  # a HEALTHY list after the first UNHEALTHY one
            states = [entry["gpu-5"] for _, entry in list(stream.lists)]
            first_bad = next(i for i, state in enumerate(states) if state[0] == "UNHEALTHY")
            return next((state for state in states[first_bad + 1:] if state[0] == "HEALTHY"), None)
        self.assertEqual(wait_until(recovered, timeout=10), ("HEALTHY", "", 30))
        stream.close()

    def test_mig_devices_are_reported_by_their_own_names(self):
        self.start(profile_name="a100-mig-mixed")
        stream = self.kubelet().watch_health()
        published = set(self.devices())
        first = stream.wait(lambda entry: True)
        self.assertEqual(set(first), published)
        stream.close()


class DeviceTaintsTest(DraBase):
    """--device-taints: health marks as ResourceSlice device taints, removed on recovery."""

    def taints(self):
        return {name: d.get("taints", []) for name, d in self.devices().items()}

    def xid(self, minor, code):
        uuid = next(g["uuid"] for g in profile(self.profile_name)["gpus"] if g["minor"] == minor)
        with open(self.faults, "a") as faults:
            faults.write(f"xid {uuid} {code}\n")

    def test_an_xid_taints_its_device_until_it_recovers(self):
        plugin = self.start(args=["--device-taints", "--health-recovery-period", "1s",
                                  "--health-probe-interval", "200ms"])
        self.assertFalse(any(self.taints().values()))
        generation = self.slices()[0]["spec"]["pool"]["generation"]
        self.xid(5, 48)  # may recover
        self.xid(3, 79)  # fallen off the bus: never recovers
        tainted = wait_until(lambda: (t := self.taints()) and t["gpu-5"] and t["gpu-3"] and t, timeout=5)
        xid = tainted["gpu-5"]
        self.assertEqual([(t["key"], t["value"], t["effect"]) for t in xid], [("gpu.nvidia.com/xid", "48", "NoSchedule")])
        self.assertRegex(xid[0]["timeAdded"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn("gpu.nvidia.com/gpu-lost", [t["key"] for t in tainted["gpu-3"]])
        self.assertEqual([name for name, t in tainted.items() if t], ["gpu-3", "gpu-5"])
        self.assertGreater(self.slices()[0]["spec"]["pool"]["generation"], generation)
        recovered = wait_until(lambda: (t := self.taints()) and not t["gpu-5"] and t, timeout=10)
        self.assertTrue(recovered["gpu-3"])  # a lost GPU stays tainted
        plugin.wait_log("Device taints changed")

    def test_a_failed_slice_update_is_retried(self):
        plugin = self.start(args=["--device-taints"])
        self.slices()
        self.api.fail_next.extend([500, 500])
        self.xid(2, 79)
        wait_until(lambda: self.taints()["gpu-2"], timeout=10)
        plugin.wait_log(r"Publishing ResourceSlices: .*retrying in \d+ ms")

    def test_an_xid_during_an_api_outage_reaches_the_kubelet_at_once_and_the_slice_later(self):
        plugin = self.start(args=["--device-taints"])
        stream = self.kubelet().watch_health()
        stream.wait(lambda entry: True)
        self.slices()
        self.api.claims_down = True
        self.api.fail_next.extend([503] * 4)  # the slice re-list and its retries fail too
        self.xid(6, 79)
        stream.wait(lambda e: e["gpu-6"][0] == "UNHEALTHY", timeout=1)  # NVML -> kubelet, no API
        wait_until(lambda: not self.api.fail_next, timeout=15)
        self.api.claims_down = False
        wait_until(lambda: self.taints()["gpu-6"], timeout=20)
        plugin.wait_log("Publishing ResourceSlices: .*503")
        self.assertTrue(plugin.alive())
        stream.close()

    def test_off_by_default(self):
        self.start(args=["--health-probe-interval", "200ms"])
        stream = self.kubelet().watch_health()
        self.xid(4, 79)
        stream.wait(lambda e: e["gpu-4"][0] == "UNHEALTHY", timeout=3)
        time.sleep(0.5)
        self.assertFalse(any(self.taints().values()))
        stream.close()


class RegistrationTest(DraBase):
    def test_get_info_lists_v1_first_and_the_kubelet_picks_it(self):
        self.start()
        kubelet = self.kubelet()
        registration = kubelet.wait_registered()
        info = registration["info"]
        self.assertEqual(info.type, "DRAPlugin")
        self.assertEqual(info.name, DRIVER)
        self.assertEqual(info.endpoint, str(self.plugins / DRIVER / "dra.sock"))
        self.assertEqual(list(info.supported_versions), ["v1.DRAPlugin", "v1beta1.DRAPlugin",
                                                         "v1.DRAResourceHealth", "v1alpha1.DRAResourceHealth"])
        self.assertEqual(registration["socket"], str(self.registry / f"{DRIVER}-reg.sock"))
        self.assertEqual(registration["version"], "v1.DRAPlugin")
        old = self.kubelet(supported=("v1beta1.DRAPlugin",))
        self.assertEqual(old.wait_registered()["version"], "v1beta1.DRAPlugin")

    def test_kubelet_restart_and_a_removed_socket_register_again_within_2s(self):
        plugin = self.start()
        self.kubelet().wait_registered()
        plugin.wait_log("Registered with the kubelet")
        restarted = self.kubelet()  # a new kubelet process scans the directory again
        t0 = time.monotonic()
        restarted.wait_registered(timeout=2)
        self.assertLess(time.monotonic() - t0, 2)
        os.unlink(self.registry / f"{DRIVER}-reg.sock")  # the registry directory emptied
        t0 = time.monotonic()
        restarted.wait_registered(count=2, timeout=2)
        self.assertLess(time.monotonic() - t0, 2)
        plugin.wait_log("Registering again")
        # the DRA socket too
        os.unlink(self.plugins / DRIVER / "dra.sock")
        wait_until(lambda: (self.plugins / DRIVER / "dra.sock").exists(), timeout=2)
        plugin.wait_log("was removed; serving it again")

    def test_a_refused_registration_is_logged_and_retried(self):
        plugin = self.start()
        kubelet = self.kubelet(accept=False, refusal="version skew")
        wait_until(lambda: len(kubelet.registrations) >= 2, timeout=6)
        self.assertIn("The kubelet refused the registration: version skew", plugin.log())
        self.assertTrue(plugin.alive())


class PrepareTest(DraBase):
    def setUp(self):
        super().setUp()
        self.plugin = self.start()
        self.slices()
        self.kube = self.kubelet()
        self.kube.wait_registered()

    def test_two_gpus_resolve_to_their_device_nodes_and_prepare_is_idempotent(self):
        claim = self.claim("train", ["gpu-0", "gpu-3"])
        first = self.kube.prepare([claim])
        result = first[claim[2]]
        self.assertEqual(result["error"], "")
        self.assertEqual([d["device"] for d in result["devices"]], ["gpu-0", "gpu-3"])
        self.assertEqual([d["requests"] for d in result["devices"]], [["req-0"], ["req-1"]])
        self.assertEqual({d["pool"] for d in result["devices"]}, {NODE})
        spec = json.loads(self.spec_path(claim[2]).read_text())
        self.assertEqual(spec["kind"], "k8s.gpu.nvidia.com/claim")
        names = {d["name"]: d for d in spec["devices"]}
        minors = {f"gpu-{g['minor']}": g["minor"] for g in profile(self.profile_name)["gpus"]}
        for device in result["devices"]:
            (cdi_id,) = device["cdi"]
            kind, _, name = cdi_id.partition("=")
            self.assertEqual(kind, spec["kind"])
            nodes = [n["path"] for n in names[name]["containerEdits"]["deviceNodes"]]
            self.assertIn(f"/dev/nvidia{minors[device['device']]}", nodes)
        self.assertTrue(any(n["path"] == "/dev/nvidiactl" for n in spec["containerEdits"]["deviceNodes"]))
        self.assertEqual(self.kube.prepare([claim]), first)
        self.assertEqual(self.stored_claims()[claim[2]]["state"], "PrepareCompleted")
        # one GET of the claim: the second prepare answered from the checkpoint
        gets = [r for r in self.api.requests if r[0] == "GET" and r[1].endswith("/resourceclaims/train")]
        self.assertEqual(len(gets), 1)
        self.assertEqual(self.kube.prepare([claim], version="v1beta1.DRAPlugin"), first)

    def test_claim_reads_reuse_the_api_servers_connection(self):
        claims = [self.claim(f"k{i}", [f"gpu-{i}"]) for i in range(5)]
        before = self.api.connections
        for claim in claims:  # one call each: five GETs one after the other
            self.assertEqual(self.kube.prepare([claim])[claim[2]]["error"], "")
        self.assertLessEqual(self.api.connections - before, 2)  # not one per GET
        # The server closes them (a restart): the next read retries on a new connection.
        self.api.close_connections()
        late = self.claim("after-close", ["gpu-6"])
        self.assertEqual(self.kube.prepare([late])[late[2]]["error"], "")
        self.slices()

    def test_a_mig_device_gets_its_parent_and_capability_nodes(self):
        self.plugin.stop()
        self.plugin = self.start(profile_name="a100-mig-mixed")
        self.kube.wait_registered(count=2)
        devices = wait_until(lambda: {d["name"]: d for s in self.api.node_slices(NODE) for d in s["spec"]["devices"]
                                      if d["attributes"]["type"]["string"] == "mig"})
        name, device = sorted(devices.items())[0]
        parent = next(g for g in profile("a100-mig-mixed")["gpus"]
                      if g["uuid"] == device["attributes"]["parentUUID"]["string"])
        claim = self.claim("mig", [name])
        result = self.kube.prepare([claim])[claim[2]]
        self.assertEqual(result["error"], "")
        spec = json.loads(self.spec_path(claim[2]).read_text())
        (edits,) = [d["containerEdits"] for d in spec["devices"] if d["name"] == f"{claim[2]}-{name}"]
        nodes = [n["path"] for n in edits["deviceNodes"]]
        self.assertIn(f"/dev/nvidia{parent['minor']}", nodes)
        self.assertTrue(any(n.startswith("/dev/nvidia-caps/nvidia-cap") for n in nodes), nodes)

    def test_eight_claims_in_one_call(self):
        claims = [self.claim(f"c{i}", [f"gpu-{i}"]) for i in range(8)]
        results = self.kube.prepare(claims)
        self.assertEqual(sorted(results), sorted(c[2] for c in claims))
        for i, claim in enumerate(claims):
            self.assertEqual(results[claim[2]]["error"], "")
            self.assertEqual(results[claim[2]]["devices"][0]["device"], f"gpu-{i}")
            self.assertTrue(self.spec_path(claim[2]).exists())
        self.assertEqual(len(self.stored_claims()), 8)

    def test_claims_not_started_by_the_deadline_are_left_to_the_retry(self):
        claims = [self.claim(f"d{i}", [f"gpu-{i}"]) for i in range(7)] + [self.claim("bad", ["gpu-99"])]
        late = self.claim("late", ["gpu-7"])  # the ninth: it waits for the first eight
        self.api.claim_delay = 0.5
        with self.assertRaises(grpc.RpcError) as raised:
            self.kube.prepare(claims + [late], timeout=0.3)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        wait_until(lambda: all(self.spec_path(c[2]).exists() for c in claims[:7]), timeout=5)
        time.sleep(0.3)
        self.assertEqual([r for r in self.api.requests if "/resourceclaims/late" in r[1]], [])
        self.assertFalse(self.spec_path(late[2]).exists())
        self.api.claim_delay = 0
        results = self.kube.prepare(claims + [late])  # the kubelet's retry
        self.assertEqual([results[c[2]]["error"] for c in claims[:7]], [""] * 7)
        self.assertIn("gpu-99", results["uid-bad"]["error"])
        self.assertEqual(results["uid-late"]["error"], "")
        self.assertEqual(len([r for r in self.api.requests if "/resourceclaims/late" in r[1]]), 1)

    def test_a_bad_claim_gets_its_own_error_and_the_others_succeed(self):
        holder = self.claim("holder", ["gpu-1"])
        self.assertEqual(self.kube.prepare([holder])[holder[2]]["error"], "")
        thief = self.claim("thief", ["gpu-1"])
        good = self.claim("good", ["gpu-2"])
        unknown = self.claim("unknown", ["gpu-99"])
        self.api.add_claim("default", "pending", "uid-pending", [], allocated=False)
        missing = ("default", "gone", "uid-gone")
        other_uid = ("default", "good", "uid-not-good")
        results = self.kube.prepare([thief, good, unknown, ("default", "pending", "uid-pending"), missing, other_uid])
        self.assertEqual(results[good[2]]["error"], "")
        self.assertIn("device gpu-1 is already prepared for claim uid-holder", results[thief[2]]["error"])
        self.assertIn("gpu-99 of ResourceClaim default/unknown is not published by node node-a",
                      results[unknown[2]]["error"])
        self.assertIn("is not allocated", results["uid-pending"]["error"])
        self.assertIn("404", results["uid-gone"]["error"])
        self.assertIn("has UID uid-good, not uid-not-good", results["uid-not-good"]["error"])
        self.assertFalse(self.spec_path(thief[2]).exists())
        self.assertEqual(sorted(self.stored_claims()), sorted([holder[2], good[2]]))

    def test_hostile_requests_get_errors_and_touch_nothing(self):
        bad = [("default", "x", "../../escape"), ("default", "x/../../../../api/v1/nodes", "uid-a"),
               ("kube/system", "x", "uid-b"), ("", "", ""), ("default", "x" * 300, "uid-c")]
        results = self.kube.prepare(bad)
        self.assertEqual(sorted(results), sorted({b[2] for b in bad}))
        for uid, result in results.items():
            self.assertRegex(result["error"], r"^(invalid claim (UID|namespace|name)|claim namespace, name and uid are required)")
            self.assertEqual(result["devices"], [])
        self.assertFalse([r for r in self.api.requests if "resourceclaims/x" in r[1] or "/api/v1/nodes/" in r[1]
                          and r[1] != f"/api/v1/nodes/{NODE}"])
        self.assertEqual(sorted(p.name for p in self.cdi.iterdir()) if self.cdi.exists() else [], [])
        self.assertEqual(self.kube.unprepare(bad[:1]), {"../../escape": ""})
        with self.assertRaises(grpc.RpcError) as raised:
            self.kube.prepare([("default", f"c{i}", f"u{i}") for i in range(257)])
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("257 claims in one call; at most 256", raised.exception.details())
        self.assertTrue(self.plugin.alive())

    def attempt_until_refused(self, device, timeout=5):
        """Prepares new claims for `device` until one is refused (the mark lands just after the
        log line); returns that error."""
        deadline = time.monotonic() + timeout
        for i in range(1000):
            claim = self.claim(f"try-{device}-{i}", [device])
            error = self.kube.prepare([claim])[claim[2]]["error"]
            if error:
                self.assertFalse(self.spec_path(claim[2]).exists())
                return error
            self.kube.unprepare([claim])
            self.assertLess(time.monotonic(), deadline, f"{device} was never refused")
        return ""

    def test_a_gpu_with_an_xid_is_not_prepared_and_the_others_are(self):
        uuids = {g["minor"]: g["uuid"] for g in profile(self.profile_name)["gpus"]}
        with open(self.faults, "a") as faults:
            faults.write(f"xid {uuids[3]} 79\n")  # fallen off the bus
        self.plugin.wait_log("XidCriticalError: Xid=79")
        self.assertIn("device gpu-3 is unhealthy: XID 79", self.attempt_until_refused("gpu-3"))
        fine = self.claim("fine", ["gpu-2"])
        self.assertEqual(self.kube.prepare([fine])[fine[2]]["error"], "")

    def test_additional_xids_to_ignore(self):
        self.plugin.stop()
        self.plugin = self.start(args=["--additional-xids-to-ignore", "48"])
        self.kube.wait_registered(count=2)
        uuids = {g["minor"]: g["uuid"] for g in profile(self.profile_name)["gpus"]}
        with open(self.faults, "a") as faults:
            faults.write(f"xid {uuids[1]} 48\n")  # ignored
            faults.write(f"xid {uuids[2]} 94\n")  # not
        self.plugin.wait_log("XidCriticalError: Xid=94")  # the one that counts
        self.assertIn("device gpu-2 is unhealthy: XID 94", self.attempt_until_refused("gpu-2"))
        one = self.claim("one", ["gpu-1"])
        self.assertEqual(self.kube.prepare([one])[one[2]]["error"], "")

    def test_unprepare_removes_the_spec_and_is_idempotent(self):
        claim = self.claim("job", ["gpu-5"])
        self.kube.prepare([claim])
        self.assertTrue(self.spec_path(claim[2]).exists())
        self.assertEqual(self.kube.unprepare([claim, ("default", "never", "uid-never")]),
                         {claim[2]: "", "uid-never": ""})
        self.assertFalse(self.spec_path(claim[2]).exists())
        self.assertEqual(self.stored_claims(), {})
        self.assertEqual(self.kube.unprepare([claim]), {claim[2]: ""})
        # the device is free again
        again = self.claim("next", ["gpu-5"])
        self.assertEqual(self.kube.prepare([again])[again[2]]["error"], "")

    def test_restart_then_unprepare(self):
        claim = self.claim("long", ["gpu-6", "gpu-7"])
        prepared = self.kube.prepare([claim])
        self.plugin.stop()
        self.plugin = self.start()
        self.kube.wait_registered(count=2)
        self.assertEqual(self.kube.prepare([claim]), prepared)  # from the checkpoint
        self.assertEqual(self.kube.unprepare([claim]), {claim[2]: ""})
        self.assertFalse(self.spec_path(claim[2]).exists())

    def test_api_server_unreachable_during_prepare_then_back(self):
        claim = self.claim("later", ["gpu-4"])
        self.api.claims_down = True
        result = self.kube.prepare([claim])[claim[2]]
        self.assertIn("cannot read ResourceClaim default/later: API server answered 503", result["error"])
        self.assertFalse(self.spec_path(claim[2]).exists())
        self.api.claims_down = False
        self.assertEqual(self.kube.prepare([claim])[claim[2]]["error"], "")
        self.assertTrue(self.spec_path(claim[2]).exists())

    def test_claims_deleted_from_the_api_server_are_unprepared(self):
        claim = self.claim("orphan", ["gpu-2"])
        kept = self.claim("kept", ["gpu-3"])
        self.kube.prepare([claim, kept])
        self.api.delete_claim("default", "orphan")
        wait_until(lambda: not self.spec_path(claim[2]).exists(), timeout=5)
        self.plugin.wait_log(r"Claim default/orphan \(uid-orphan\) no longer exists")
        self.assertTrue(self.spec_path(kept[2]).exists())
        self.assertEqual(sorted(self.stored_claims()), [kept[2]])


class CheckpointTest(DraBase):
    def test_a_crash_at_every_prepare_step_is_repaired_by_the_next_start(self):
        for step in CRASH_STEPS:
            with self.subTest(step=step):
                uid = f"uid-crash-{step}"
                claim = self.claim(f"crash-{step}", ["gpu-0"], uid=uid)
                plugin = self.start(env={"NVDP_DRA_CRASH_AT": step})
                kubelet = self.kubelet()
                kubelet.wait_registered()
                with self.assertRaises(Exception):
                    kubelet.prepare([claim], timeout=10)
                self.assertEqual(plugin.wait(5), 99)
                plugin = self.start()
                kubelet.wait_registered(count=2)
                result = kubelet.prepare([claim])[uid]
                self.assertEqual(result["error"], "", step)
                self.assertEqual(self.stored_claims()[uid]["state"], "PrepareCompleted")
                self.assertTrue(self.spec_path(uid).exists())
                self.assertEqual(kubelet.unprepare([claim]), {uid: ""})
                self.assertFalse(self.spec_path(uid).exists())
                self.assertEqual(self.stored_claims(), {})
                plugin.stop()
                kubelet.close()

    def test_a_crash_at_every_unprepare_step_is_repaired_by_the_next_start(self):
        for step in UNPREPARE_CRASH_STEPS:
            with self.subTest(step=step):
                uid = f"uid-crash-{step}"
                claim = self.claim(f"crash-{step}", ["gpu-1"], uid=uid)
                plugin = self.start(env={"NVDP_DRA_CRASH_AT": step})
                kubelet = self.kubelet()
                kubelet.wait_registered()
                self.assertEqual(kubelet.prepare([claim])[uid]["error"], "")
                with self.assertRaises(Exception):
                    kubelet.unprepare([claim], timeout=10)
                self.assertEqual(plugin.wait(5), 99)
                # before the spec's removal only at the first step
                self.assertEqual(self.spec_path(uid).exists(), step == "unprepare-sharing-undone")
                plugin = self.start()
                kubelet.wait_registered(count=2)
                self.assertEqual(kubelet.unprepare([claim]), {uid: ""})
                self.assertFalse(self.spec_path(uid).exists())
                self.assertEqual(self.stored_claims(), {})
                # the device can be prepared for another claim
                other = self.claim(f"after-{step}", ["gpu-1"])
                self.assertEqual(kubelet.prepare([other])[other[2]]["error"], "")
                self.assertEqual(kubelet.unprepare([other]), {other[2]: ""})
                plugin.stop()
                kubelet.close()

    def prepare_then_stop(self, claims):
        plugin = self.start()
        kubelet = self.kubelet()
        kubelet.wait_registered()
        results = kubelet.prepare(claims)
        plugin.stop()
        kubelet.close()
        return results

    def test_a_corrupt_checkpoint_is_moved_aside_and_rebuilt_from_the_cdi_specs(self):
        claim = self.claim("survivor", ["gpu-2"])
        before = self.prepare_then_stop([claim])
        self.checkpoint.write_text('{"kind": "GpuKubeletPluginCheckpoint", "version": 1, "checksum": "x", "data": "{}"')
        plugin = self.start()
        plugin.wait_log("is unusable")
        self.assertTrue(list(self.checkpoint.parent.glob("checkpoint.json.corrupt-*")))
        kubelet = self.kubelet()
        kubelet.wait_registered()
        self.assertEqual(self.stored_claims()["uid-survivor"]["state"], "PrepareCompleted")
        # the device stays taken; the kubelet's next prepare gets the same answer (read again)
        thief = self.claim("thief", ["gpu-2"])
        self.assertIn("already prepared for claim uid-survivor", kubelet.prepare([thief])["uid-thief"]["error"])
        self.assertEqual(kubelet.prepare([claim]), before)
        self.assertEqual(kubelet.unprepare([claim]), {"uid-survivor": ""})
        self.assertFalse(self.spec_path("uid-survivor").exists())

    def test_bad_checksums_versions_and_garbage_never_stop_the_plugin(self):
        claim = self.claim("x", ["gpu-3"])
        self.prepare_then_stop([claim])
        good = self.checkpoint.read_text()
        envelope = json.loads(good)
        variants = {
            "checksum": json.dumps(dict(envelope, data=envelope["data"].replace("gpu-3", "gpu-4"))),
            "version": json.dumps(dict(envelope, version=99)),
            "garbage": "\x00\xff not json",
            "empty": "",
            "directory": None,
        }
        for name, text in variants.items():
            with self.subTest(variant=name):
                if text is None:
                    self.checkpoint.unlink()
                    self.checkpoint.mkdir()
                else:
                    if self.checkpoint.is_dir():
                        self.checkpoint.rmdir()
                    self.checkpoint.write_text(text)
                plugin = self.start()
                plugin.wait_log("Serving the DRA plugin API")
                plugin.wait_log("prepared claims after restoring the checkpoint")
                self.assertTrue(plugin.alive())
                if text is not None:
                    self.assertEqual(self.stored_claims()["uid-x"]["devices"][0]["device"], "gpu-3")
                plugin.stop()

    def test_a_checkpoint_of_another_boot_is_discarded(self):
        claim = self.claim("old", ["gpu-4"])
        self.prepare_then_stop([claim])
        self.spec_path("uid-old").unlink()  # gone with the reboot
        self.boot_id.write_text("boot-2\n")
        plugin = self.start()
        plugin.wait_log("is from another boot")
        self.assertEqual(self.stored_claims(), {})
        kubelet = self.kubelet()
        fresh = self.claim("fresh", ["gpu-4"])
        self.assertEqual(kubelet.prepare([fresh])["uid-fresh"]["error"], "")

    def test_unknown_fields_are_tolerated(self):
        claim = self.claim("future", ["gpu-5"])
        before = self.prepare_then_stop([claim])
        envelope = json.loads(self.checkpoint.read_text())
        data = json.loads(envelope["data"])
        data["addedLater"] = {"x": 1}
        data["claims"]["uid-future"]["extra"] = [1, 2]
        from_future = json.dumps(data)
        # FNV-1a 64, as the plugin computes it
        h = 0xcbf29ce484222325
        for b in from_future.encode():
            h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        envelope.update(data=from_future, checksum=f"fnv1a64:{h:016x}", alsoNew=True)
        self.checkpoint.write_text(json.dumps(envelope))
        plugin = self.start()
        plugin.wait_log("1 prepared claims after restoring")
        self.assertNotIn("unusable", plugin.log())
        kubelet = self.kubelet()
        self.assertEqual(kubelet.prepare([claim]), before)


if __name__ == "__main__":
    unittest.main()
