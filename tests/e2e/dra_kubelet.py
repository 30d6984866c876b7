"""A DRA kubelet for the end-to-end tests, built from the reference protos (reference/), not from
our api/ declarations: it watches the plugin registration directory as the kubelet's plugin
watcher does (GetInfo on every new socket, then NotifyRegistrationStatus), picks the first
version of the plugin's list it supports, and calls NodePrepareResources / NodeUnprepareResources
with the kubelet's 45 s deadline."""
import importlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc

HERE = Path(__file__).parent
_stubs = Path(tempfile.mkdtemp(prefix="nvdp-dra-stubs-"))
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE / 'reference'}",
                f"--python_out={_stubs}", f"--grpc_python_out={_stubs}",
                "dra_v1.proto", "dra_v1beta1.proto", "pluginregistration_v1.proto",
                "dra_health_v1.proto", "dra_health_v1alpha1.proto"],
               check=True, capture_output=True)
sys.path.insert(0, str(_stubs))
reg_pb = importlib.import_module("pluginregistration_v1_pb2")
reg_rpc = importlib.import_module("pluginregistration_v1_pb2_grpc")
VERSIONS = {"v1.DRAPlugin": (importlib.import_module("dra_v1_pb2"), importlib.import_module("dra_v1_pb2_grpc")),
            "v1beta1.DRAPlugin": (importlib.import_module("dra_v1beta1_pb2"),
                                  importlib.import_module("dra_v1beta1_pb2_grpc"))}
HEALTH = {"v1.DRAResourceHealth": (importlib.import_module("dra_health_v1_pb2"),
                                   importlib.import_module("dra_health_v1_pb2_grpc")),
          "v1alpha1.DRAResourceHealth": (importlib.import_module("dra_health_v1alpha1_pb2"),
                                         importlib.import_module("dra_health_v1alpha1_pb2_grpc"))}
PREPARE_DEADLINE = 45


class HealthWatch:
    """One NodeWatchResources stream, read on a thread: `lists` holds every complete list received,
    each {device name: (health name, message, timeout seconds)}, with its arrival time."""

    def __init__(self, channel, version):
        pb, rpc = HEALTH[version]
        self._pb = pb
        self._call = rpc.DRAResourceHealthStub(channel).NodeWatchResources(pb.NodeWatchResourcesRequest())
        self.lists = []
        self.error = None
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for response in self._call:
                entry = {d.device.device_name: (self._pb.HealthStatus.Name(d.health), d.message,
                                                d.health_check_timeout_seconds)
                         for d in response.devices}
                with self._cond:
                    self.lists.append((time.monotonic(), entry))
                    self._cond.notify_all()
        except grpc.RpcError as error:
            with self._cond:
                self.error = error
                self._cond.notify_all()

    def wait(self, predicate, timeout=5):
        """The first list (received so far or later) for which predicate(list) holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for _, entry in self.lists:
                    if predicate(entry):
                        return entry
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching health list within {timeout}s: {self.lists[-2:]} {self.error}")
                self._cond.wait(left)

    def close(self):
        self._call.cancel()


def _identity(path):
    """A socket file's identity: a recreated socket can get the same inode, not the same ctime."""
    try:
        info = os.stat(path)
        return (info.st_ino, info.st_ctime_ns)
    except FileNotFoundError:
        return None


class DraKubelet:
    def __init__(self, registry_dir, supported=("v1.DRAPlugin", "v1beta1.DRAPlugin"), accept=True,
                 refusal="plugin refused by the test"):
        """accept=False answers NotifyRegistrationStatus(false, refusal)."""
        self.registry_dir = Path(registry_dir)
        self.registry_dir.mkdir(parents=True, exist_ok=True)
        self.supported = list(supported)
        self.accept = accept
        self.refusal = refusal
        self.registrations = []  # {"time", "socket", "info", "version"} per GetInfo + Notify
        self.errors = []
        self._seen = {}
        self._channels = {}  # (endpoint, socket identity) -> channel, reused as the kubelet does
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def _channel(self, endpoint):
        """One channel per socket file: a plugin that serves a new socket gets a new channel."""
        key = (endpoint, _identity(endpoint))
        if key not in self._channels:
            for old in [k for k in self._channels if k[0] == endpoint]:
                self._channels.pop(old).close()
            self._channels[key] = grpc.insecure_channel(f"unix://{endpoint}")
        return self._channels[key]

    def _watch(self):
        while not self._stop.is_set():
            for path in self.registry_dir.glob("*-reg.sock"):
                identity = _identity(path)
                if identity is None or self._seen.get(path) == identity:
                    continue
                self._seen[path] = identity
                try:
                    self._register(path)
                except grpc.RpcError as error:
                    with self._lock:
                        self.errors.append(str(error))
            time.sleep(0.05)

    def _register(self, path):
        with grpc.insecure_channel(f"unix://{path}") as channel:
            stub = reg_rpc.RegistrationStub(channel)
            info = stub.GetInfo(reg_pb.InfoRequest(), timeout=1)
            version = next((v for v in info.supported_versions if v in self.supported), None)
            ok = self.accept and info.type == "DRAPlugin" and version is not None
            error = "" if ok else (self.refusal if not self.accept else "no supported version")
            stub.NotifyRegistrationStatus(reg_pb.RegistrationStatus(plugin_registered=ok, error=error),
                                          timeout=5)
        with self._lock:
            self.registrations.append({"time": time.monotonic(), "socket": str(path), "info": info,
                                       "version": version if ok else None})
            self._lock.notify_all()

    def wait_registered(self, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([r for r in self.registrations if r["version"]]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no registration {count} within {timeout}s: "
                                         f"{self.registrations} {self.errors}")
                self._lock.wait(left)
            return [r for r in self.registrations if r["version"]][count - 1]

    def _service(self, version=None):
        registration = self.wait_registered()
        version = version or registration["version"]
        pb, rpc = VERSIONS[version]
        return pb, rpc, registration["info"].endpoint

    def watch_health(self, version="v1.DRAResourceHealth"):
        registration = self.wait_registered()
        if version not in registration["info"].supported_versions:
            raise AssertionError(f"the plugin does not offer {version}")
        return HealthWatch(self._channel(registration["info"].endpoint), version)

    def prepare(self, claims, version=None, timeout=PREPARE_DEADLINE):
        """claims: [(namespace, name, uid)] -> {uid: {"devices": [...], "error": str}}."""
        pb, rpc, endpoint = self._service(version)
        request = pb.NodePrepareResourcesRequest(
            claims=[pb.Claim(namespace=ns, name=name, uid=uid) for ns, name, uid in claims])
        response = rpc.DRAPluginStub(self._channel(endpoint)).NodePrepareResources(request, timeout=timeout)
        out = {}
        for uid, result in response.claims.items():
            out[uid] = {"error": result.error, "devices": [
                {"requests": list(d.request_names), "pool": d.pool_name, "device": d.device_name,
                 "cdi": list(d.cdi_device_ids)} for d in result.devices]}
        return out

    def unprepare(self, claims, version=None, timeout=PREPARE_DEADLINE):
        pb, rpc, endpoint = self._service(version)
        request = pb.NodeUnprepareResourcesRequest(
            claims=[pb.Claim(namespace=ns, name=name, uid=uid) for ns, name, uid in claims])
        response = rpc.DRAPluginStub(self._channel(endpoint)).NodeUnprepareResources(request, timeout=timeout)
        return {uid: result.error for uid, result in response.claims.items()}
