#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/ (checked in).

Seeds are the inputs real clients send: the config files of the docs and upstream's README, the
simulator's profiles, kubeconfigs of the shapes kubectl writes, PCI config spaces of a vGPU and a
passthrough GPU, and the kubelet's Allocate / GetPreferredAllocation requests (protobuf, encoded
here by hand so nothing but Python is needed). Run it again after changing a seed."""
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = HERE / "corpus"

CONFIGS = {
    "empty.yaml": "",
    "version.yaml": "version: v1\n",
    "flags.yaml": """version: v1
flags:
  migStrategy: mixed
  failOnInitError: false
  nvidiaDriverRoot: /run/nvidia/driver
  plugin:
    passDeviceSpecs: true
    deviceListStrategy: [envvar, cdi-cri]
    deviceIDStrategy: index
    cdiAnnotationPrefix: cdi.k8s.io/
  gfd:
    oneshot: false
    sleepInterval: 60s
    outputFile: /etc/kubernetes/node-feature-discovery/features.d/gfd
""",
    "time-slicing.yaml": """version: v1
sharing:
  timeSlicing:
    renameByDefault: true
    failRequestsGreaterThanOne: true
    resources:
    - name: nvidia.com/gpu
      replicas: 10
    - name: nvidia.com/mig-1g.5gb
      replicas: 2
      devices: [0, "1:0", GPU-8e1f2b3c-7a6d-4e5f-8091-a2b3c4d5e6f7, MIG-GPU-8e1f2b3c-7a6d-4e5f-8091-a2b3c4d5e6f7/1/0]
""",
    "mps.yaml": """version: v1
flags: {mpsRoot: /run/nvidia/mps}
sharing:
  mps:
    resources:
    - {name: nvidia.com/gpu, replicas: 0x10, devices: all}
""",
    "json.json": '{"version": "v1", "flags": {"migStrategy": "single", "plugin": {"deviceListStrategy": "envvar"}},'
                 ' "sharing": {"timeSlicing": {"resources": [{"name": "gpu", "replicas": 4, "devices": 2}]}}}\n',
    "resources.yaml": """version: v1
resources:
  gpus: [{pattern: "A100-SXM4-40GB", name: a100}]
  mig: [{pattern: "1g.5gb", name: mig-small}]
imex: {channelIDs: [0], required: true}
""",
    "merge.yaml": "flags: &f {migStrategy: mixed}\nsharing:\n  timeSlicing: &ts\n"
                  "    resources: [{name: gpu, replicas: 2, devices: [0, 1]}]\n"
                  "  mps: {<<: *ts, renameByDefault: true}\n",
    "scalars.yaml": "flags: {failOnInitError: Off, gdsEnabled: y, mofedEnabled: 1_0, gdrcopyEnabled: 0b1}\n"
                    "sharing: {timeSlicing: {resources: [{name: gpu, replicas: +1_2}]}}\n",
}

YAML = {
    "block.yaml": "a: 1\nb:\n  - x\n  - {y: [1, 2, {z: null}]}\nc: |\n  text\n  block\n",
    "flow.yaml": "[1, 'two', \"three\", ~, true, 0x1F, -.5e3, {k: v}]\n",
    "anchors.yaml": "base: &b {x: 1}\nuse: *b\n",
    "merge.yaml": "a: &a {x: 1, y: [1, 2]}\nb: &b {y: 3}\nc: {<<: [*b, *a], x: 2}\nd: {x: 0, <<: *a}\n",
    "laughs.yaml": "l0: &l0 [x, x]\nl1: &l1 [*l0, *l0, *l0]\nl2: &l2 [*l1, *l1, *l1]\nl3: [*l2, *l2]\n",
    "multi.yaml": "a: 1\n---\nb: 2\n",
    "tags.yaml": "!!str 5: !custom value\n? complex\n: key\n",
    "unicode.yaml": "name: \"\\u00e9\\x41\\0\"\nplain: caf\u00e9\n",
}

KUBECONFIGS = {
    "token.yaml": """apiVersion: v1
kind: Config
current-context: ctx
contexts:
- name: ctx
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
users:
- name: u
  user: {token: abc.def}
""",
    "files.yaml": """current-context: ctx
contexts: [{name: ctx, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://[::1]", certificate-authority: ca.crt}}]
users: [{name: u, user: {client-certificate: cert.pem, client-key: key.pem, tokenFile: /var/token}}]
""",
    "exec.yaml": """current-context: ctx
contexts: [{name: ctx, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://api.example.com", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {exec: {command: aws}}}]
""",
}


def config_space(capability):
    config = bytearray(256)
    config[0x06] = 0x10
    config[0x34] = 0x40
    config[0x40:0x40 + len(capability)] = capability
    return bytes(config)


VGPU = {
    "vgpu.bin": config_space(bytes([0x09, 0x00, 27]) + b"VF" + bytes([0x00, 22]) + b"460.16\0\0\0\0" + b"r460_00\0\0\0"),
    "passthrough.bin": config_space(bytes([0x09, 0x00, 20]) + b"PT" + bytes(15)),
    "no-capabilities.bin": bytes(256),
    "no-record.bin": config_space(bytes([0x09, 0x00, 9]) + b"VF" + bytes([0x05, 4, 0, 0])),
    "loop.bin": config_space(bytes([0x05, 0x40, 0x00])),
}


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, payload):  # length-delimited
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def uuid(index):
    return f"GPU-{index:08x}-1b2c-4d3e-9f21-6b8e2a7d4c10"


def allocate(*containers):
    return b"".join(field(1, b"".join(field(1, i.encode()) for i in ids)) for ids in containers)


def preferred(available, must, size):
    body = b"".join(field(1, i.encode()) for i in available)
    body += b"".join(field(2, i.encode()) for i in must)
    body += varint(3 << 3 | 0) + varint(size)
    return field(1, body)


# First byte: node (0 NVSwitch 8, 1 islands 16, 2 replicas, 3 MIG) | 4 for GetPreferredAllocation
# | settings bits; second byte: unhealthy GPUs and more settings (see the fuzzer).
REQUESTS = {
    "allocate-one.bin": bytes([0, 0]) + allocate([uuid(3)]),
    "allocate-two-containers.bin": bytes([16 | 128, 1]) + allocate([uuid(0), uuid(1)], [uuid(7)]),
    "allocate-cdi.bin": bytes([32 | 64 | 8, 8 | 16]) + allocate([uuid(2)]),
    "allocate-replicas.bin": bytes([2, 2 | 4]) + allocate([uuid(1) + "::0", uuid(1) + "::3"]),
    "allocate-unknown.bin": bytes([0, 0]) + allocate(["GPU-bogus"]),
    "preferred-nvswitch.bin": bytes([4, 0]) + preferred([uuid(i) for i in (4, 1, 7, 0, 2)], [uuid(1)], 3),
    "preferred-islands.bin": bytes([4 | 1, 0b00100100]) + preferred([uuid(i) for i in
                                                                      (4, 12, 9, 0, 15, 3, 14, 11, 7, 6, 2, 13, 5, 8, 10, 1)], [], 6),
    "preferred-replicas.bin": bytes([4 | 2, 0]) + preferred([uuid(g) + f"::{r}" for g in range(8) for r in range(4)], [], 5),
    "preferred-too-big.bin": bytes([4, 0]) + preferred([uuid(0)], [], 2),
}


def write(target, files):
    directory = CORPUS / target
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def main():
    write("config", CONFIGS)
    write("yaml_tree", {**YAML, **{f"config-{k}": v for k, v in CONFIGS.items()}})
    write("sim_profile", {p.name: p.read_text() for p in sorted((REPO / "sim/profiles").glob("*.yaml"))})
    write("kubeconfig", KUBECONFIGS)
    write("vgpu", VGPU)
    write("device_plugin_requests", REQUESTS)
    for target in ("config", "yaml_tree", "sim_profile", "kubeconfig", "vgpu", "device_plugin_requests"):
        regressions = HERE / "regressions" / target
        regressions.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
