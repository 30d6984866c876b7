"""Our declarations of the kubelet's DRA APIs (api/) against the independent transcriptions in
reference/: the same proto packages, services, methods and messages with the same field names,
numbers, types and labels, so the kubelet and our plugin agree on the wire."""
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from google.protobuf import descriptor_pb2

HERE = Path(__file__).parent
API = HERE.parents[1] / "api"
REFERENCE = HERE / "reference"


def descriptor(root, name):
    with tempfile.NamedTemporaryFile(suffix=".pb") as out:
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"--descriptor_set_out={out.name}",
                        name], check=True, capture_output=True)
        files = descriptor_pb2.FileDescriptorSet.FromString(Path(out.name).read_bytes())
    (file,) = files.file
    return file


def wire(file):
    """What reaches the wire, with each service's full name and each message's fields."""
    def message(m, prefix):
        out = {}
        full = f"{prefix}.{m.name}"
        out[full] = sorted((f.number, f.name, f.type, f.label, f.type_name.split(".")[-1]) for f in m.field)
        for nested in m.nested_type:
            out.update(message(nested, full))
        return out

    messages = {}
    for m in file.message_type:
        messages.update(message(m, file.package))
    services = {f"{file.package}.{s.name}": sorted(
        (m.name, m.input_type.split(".")[-1], m.output_type.split(".")[-1], m.client_streaming, m.server_streaming)
        for m in s.method) for s in file.service}
    enums = {f"{file.package}.{e.name}": sorted((v.number, v.name) for v in e.value) for e in file.enum_type}
    return {"package": file.package, "services": services, "messages": messages, "enums": enums}


class DraApiTest(unittest.TestCase):
    def assertSameWire(self, ours, reference):
        a, b = wire(descriptor(API, ours)), wire(descriptor(REFERENCE, reference))
        self.assertEqual(a["package"], b["package"])
        self.assertEqual(a["services"], b["services"])
        self.assertEqual(a["messages"], b["messages"])
        self.assertEqual(a["enums"], b["enums"])

    def test_dra_v1beta1(self):
        self.assertSameWire("dra/v1beta1/api.proto", "dra_v1beta1.proto")

    def test_dra_v1(self):
        self.assertSameWire("dra/v1/api.proto", "dra_v1.proto")

    def test_pluginregistration_v1(self):
        self.assertSameWire("pluginregistration/v1/api.proto", "pluginregistration_v1.proto")

    def test_the_comparison_sees_a_difference(self):
        """v1 and v1beta1 differ in their package and in Device.share_id: both must show."""
        v1, v1beta1 = wire(descriptor(API, "dra/v1/api.proto")), wire(descriptor(API, "dra/v1beta1/api.proto"))
        self.assertNotEqual(v1["package"], v1beta1["package"])
        device_v1 = v1["messages"]["k8s.io.kubelet.pkg.apis.dra.v1.Device"]
        device_v1beta1 = v1beta1["messages"]["k8s.io.kubelet.pkg.apis.dra.v1beta1.Device"]
        self.assertEqual(set(device_v1) - set(device_v1beta1), {(5, "share_id", 9, 1, "")})

    def test_wire_paths(self):
        paths = {}
        for name in ("dra/v1/api.proto", "dra/v1beta1/api.proto", "pluginregistration/v1/api.proto",
                     "dra-health/v1/api.proto", "dra-health/v1alpha1/api.proto",
                     "grpc/health/v1/health.proto"):
            for service, methods in wire(descriptor(API, name))["services"].items():
                for method in methods:
                    paths[f"/{service}/{method[0]}"] = method[4]  # server streaming
        self.assertEqual(paths, {
            "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodePrepareResources": False,
            "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodeUnprepareResources": False,
            "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/NodePrepareResources": False,
            "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/NodeUnprepareResources": False,
            "/pluginregistration.Registration/GetInfo": False,
            "/pluginregistration.Registration/NotifyRegistrationStatus": False,
            "/v1.DRAResourceHealth/NodeWatchResources": True,
            "/v1alpha1.DRAResourceHealth/NodeWatchResources": True,
            "/grpc.health.v1.Health/Check": False,
            "/grpc.health.v1.Health/Watch": True,
        })

    def test_health_v1_and_v1alpha1_are_the_same_messages(self):
        v1, alpha = wire(descriptor(API, "dra-health/v1/api.proto")), wire(descriptor(API, "dra-health/v1alpha1/api.proto"))
        strip = lambda d: {k.split(".", 1)[1]: v for k, v in d.items()}
        self.assertEqual(strip(v1["messages"]), strip(alpha["messages"]))
        self.assertEqual(strip(v1["enums"]), strip(alpha["enums"]))
        self.assertEqual(strip(v1["enums"])["HealthStatus"], [(0, "UNKNOWN"), (1, "HEALTHY"), (2, "UNHEALTHY")])


if __name__ == "__main__":
    unittest.main()
