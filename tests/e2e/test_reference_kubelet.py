"""The plugin against a kubelet written in Python from an independent copy of the v1beta1 API
(reference/deviceplugin_v1beta1.proto), not from our api/ proto or our emulator."""
import importlib
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent import futures
from pathlib import Path

import grpc

from harness import GPU, E2ETest, profile

HERE = Path(__file__).resolve().parent
_stubs = tempfile.mkdtemp(prefix="nvdp-ref-stubs-")
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{HERE / 'reference'}",
                f"--python_out={_stubs}", f"--grpc_python_out={_stubs}", "deviceplugin_v1beta1.proto"],
               check=True)
sys.path.insert(0, _stubs)
pb = importlib.import_module("deviceplugin_v1beta1_pb2")
rpc = importlib.import_module("deviceplugin_v1beta1_pb2_grpc")


class ReferenceKubelet(rpc.RegistrationServicer):
    def __init__(self, plugin_dir):
        self.dir = Path(plugin_dir)
        self.requests = []
        self.registered = threading.Condition()
        self.server = None

    def Register(self, request, context):
        with self.registered:
            self.requests.append((time.monotonic(), request))
            self.registered.notify_all()
        return pb.Empty()

    def start(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        rpc.add_RegistrationServicer_to_server(self, self.server)
        self.server.add_insecure_port(f"unix://{self.dir / 'kubelet.sock'}")
        self.server.start()

    def stop(self):
        if self.server:
            self.server.stop(0).wait()
            self.server = None

    def restart(self):
        """What a restarting kubelet does: every socket in the directory goes, then its own returns."""
        self.stop()
        for path in self.dir.iterdir():
            path.unlink()
        restarted = time.monotonic()
        self.start()
        return restarted

    def wait_for(self, count, timeout):
        with self.registered:
            self.registered.wait_for(lambda: len(self.requests) >= count, timeout)
            return self.requests[count - 1] if len(self.requests) >= count else None


class ReferenceKubeletTest(E2ETest):
    def test_register_list_allocate_and_survive_a_kubelet_restart(self):
        kubelet = ReferenceKubelet(self.plugin_dir)
        kubelet.start()
        self._stops.append(kubelet.stop)
        self.plugin("dgx-a100")

        first = kubelet.wait_for(1, 5)
        self.assertIsNotNone(first, "the plugin never registered")
        request = first[1]
        self.assertEqual(request.version, "v1beta1")
        self.assertEqual(request.resource_name, GPU)
        self.assertEqual(request.endpoint, "nvidia-gpu.sock")
        self.assertFalse(request.options.pre_start_required)
        self.assertTrue(request.options.get_preferred_allocation_available)

        channel = grpc.insecure_channel(f"unix://{self.plugin_dir / request.endpoint}")
        plugin = rpc.DevicePluginStub(channel)
        stream = plugin.ListAndWatch(pb.Empty(), timeout=10)
        devices = next(stream).devices
        gpus = profile("dgx-a100")["gpus"]
        self.assertEqual(sorted(d.ID for d in devices), sorted(g["uuid"] for g in gpus))
        self.assertEqual({d.health for d in devices}, {"Healthy"})
        numa = {g["uuid"]: g["numaNode"] for g in gpus}
        for d in devices:
            self.assertEqual([n.ID for n in d.topology.nodes], [numa[d.ID]])
        stream.cancel()

        chosen = [gpus[0]["uuid"], gpus[1]["uuid"]]
        response = plugin.Allocate(pb.AllocateRequest(
            container_requests=[pb.ContainerAllocateRequest(devices_ids=chosen)]), timeout=5)
        self.assertEqual(dict(response.container_responses[0].envs),
                         {"NVIDIA_VISIBLE_DEVICES": ",".join(chosen)})
        channel.close()

        restarted = kubelet.restart()
        second = kubelet.wait_for(2, 2)
        self.assertIsNotNone(second, "no registration within 2 s of the kubelet restart")
        self.assertLess(second[0] - restarted, 2.0)
        self.assertEqual(second[1].resource_name, GPU)
        self.assertTrue((self.plugin_dir / "nvidia-gpu.sock").is_socket())


if __name__ == "__main__":
    unittest.main()
