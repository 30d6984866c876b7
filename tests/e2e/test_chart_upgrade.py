"""Our Helm chart against upstream's (NVIDIA/k8s-device-plugin v0.18.2), for `helm upgrade` from
one to the other: for the same values, the same objects (kind, name, namespace), the same
DaemonSet selectors (immutable: a difference makes the upgrade fail), no more privilege, and the
same meaning of every value upstream reads.

Upstream's chart is not in this repository: `Upstream` below models what it renders, written from
the facts of spec §10.2 (its naming helpers, the conditions of each object, its securityContext
rules). Our chart is rendered by the real helm with the node-feature-discovery stand-in."""
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml

from test_deployments import HELM, KUBECTL, ChartRendering, env_of

STAND_IN_KINDS = {("ServiceAccount", "node-feature-discovery")}
DROP_ALL = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
ROOT = {"runAsUser": 0, "runAsGroup": 0}

# Upstream's values.yaml of v0.18.2 (spec §10.2), in full: our chart must take it as it is.
UPSTREAM_VALUES = """
config: {name: "", map: {}, default: "", fallbackStrategies: ["named", "single"]}
compatWithCPUManager: null
migStrategy: null
failOnInitError: null
deviceListStrategy: null
deviceIDStrategy: null
nvidiaDriverRoot: null
gdrcopyEnabled: null
gdsEnabled: null
mofedEnabled: null
deviceDiscoveryStrategy: null
nameOverride: ""
fullnameOverride: ""
namespaceOverride: ""
selectorLabelsOverride: {}
allowDefaultNamespace: false
imagePullSecrets: []
image: {repository: nvcr.io/nvidia/k8s-device-plugin, pullPolicy: IfNotPresent, tag: ""}
updateStrategy: {type: RollingUpdate}
podAnnotations: {}
podSecurityContext: {}
securityContext: {}
resources: {}
nodeSelector: {}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{key: feature.node.kubernetes.io/pci-10de.present, operator: In, values: ["true"]}]
      - matchExpressions: [{key: feature.node.kubernetes.io/cpu-model.vendor_id, operator: In, values: ["NVIDIA"]}]
      - matchExpressions: [{key: nvidia.com/gpu.present, operator: In, values: ["true"]}]
tolerations:
- {key: CriticalAddonsOnly, operator: Exists}
- {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
priorityClassName: system-node-critical
runtimeClassName: null
devicePlugin: {enabled: true}
gfd:
  enabled: false
  nameOverride: gpu-feature-discovery
  noTimestamp: null
  sleepInterval: null
  securityContext: {privileged: true}
nfd:
  nameOverride: node-feature-discovery
  enableNodeFeatureApi: false
  master:
    serviceAccount: {name: node-feature-discovery, create: true}
    config: {extraLabelNs: ["nvidia.com"]}
  worker:
    tolerations:
    - {key: node-role.kubernetes.io/master, operator: Equal, value: "", effect: NoSchedule}
    - {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule}
    config:
      sources:
        pci: {deviceClassWhitelist: ["02", "03"], deviceLabelFields: [vendor]}
mps: {root: /run/nvidia/mps, enableHostPID: true}
cdi: {nvidiaHookPath: null, featureFlags: null}
"""


class Upstream:
    """What upstream's chart renders for `values` (merged over its defaults), from spec §10.2."""

    def __init__(self, release, namespace, values):
        self.release, self.values = release, values
        self.namespace = values.get("namespaceOverride") or namespace

    def value(self, path, default=None):
        node = self.values
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    @property
    def name(self):
        return (self.value("nameOverride") or "nvidia-device-plugin")[:63].rstrip("-")

    @property
    def fullname(self):
        if self.value("fullnameOverride"):
            return self.value("fullnameOverride")[:63].rstrip("-")
        name = self.value("nameOverride") or "nvidia-device-plugin"
        full = self.release if name in self.release else f"{self.release}-{name}"
        return full[:63].rstrip("-")

    @property
    def selector(self):
        return self.value("selectorLabelsOverride") or {"app.kubernetes.io/name": self.name,
                                                        "app.kubernetes.io/instance": self.release}

    @property
    def has_config_map(self):
        return bool(self.value("config.name") or self.value("config.map"))

    def uses_mig_or_volume_mounts(self):
        strategy = self.value("migStrategy")
        if strategy and strategy != "none":
            return True
        if self.has_config_map:
            return True  # a ConfigMap may select either
        return "volume-mounts" in str(self.value("deviceListStrategy") or "")

    def objects(self):
        """{(kind, name, namespace)} of what it renders, the NFD subchart left out."""
        out, ns = set(), self.namespace
        if self.value("devicePlugin.enabled", True):
            out |= {("DaemonSet", self.fullname, ns), ("DaemonSet", f"{self.fullname}-mps-control-daemon", ns)}
        if self.value("gfd.enabled"):
            out.add(("DaemonSet", f"{self.fullname}-gpu-feature-discovery"[:63], ns))
        if self.value("config.map"):
            out.add(("ConfigMap", f"{self.fullname}-configs", ns))
        if self.has_config_map or (self.value("gfd.enabled") and self.value("nfd.enableNodeFeatureApi")):
            out |= {("ServiceAccount", f"{self.fullname}-service-account", ns),
                    ("ClusterRole", f"{self.fullname}-role", None),
                    ("ClusterRoleBinding", f"{self.fullname}-role-binding", None)}
        return out

    def renders_nfd(self):
        """Helm takes the first of the condition's paths that is set: nfd.enabled, then gfd.enabled."""
        enabled = self.value("nfd.enabled")
        return bool(enabled) if enabled is not None else bool(self.value("gfd.enabled"))

    def plugin_context(self):
        if self.value("securityContext"):
            return self.value("securityContext")
        if self.value("compatWithCPUManager"):
            return {"privileged": True}
        if self.uses_mig_or_volume_mounts():
            return {"capabilities": {"add": ["SYS_ADMIN"]}}
        return DROP_ALL

    def gfd_context(self):
        own = self.value("gfd.securityContext", {"privileged": True})
        if own:
            return own
        return {"capabilities": {"add": ["SYS_ADMIN"]}} if self.uses_mig_or_volume_mounts() else DROP_ALL


def merged(base, override):
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


DEFAULTS = yaml.safe_load(UPSTREAM_VALUES)
VALUE_SETS = {
    "defaults": {},
    "gfd": {"gfd": {"enabled": True}},
    "inline configs": {"config": {"map": {"default": "version: v1\n", "mig": "version: v1\nflags: {migStrategy: mixed}\n"}},
                       "gfd": {"enabled": True}},
    "named ConfigMap": {"config": {"name": "my-configs", "default": "ts"}},
    "nameOverride": {"nameOverride": "gpu"},
    "fullnameOverride": {"fullnameOverride": "gpu-plugin", "gfd": {"enabled": True}},
    "selectorLabelsOverride": {"selectorLabelsOverride": {"app": "nvdp"}, "gfd": {"enabled": True}},
    "namespaceOverride": {"namespaceOverride": "gpus", "gfd": {"enabled": True}},
    "MIG single": {"migStrategy": "single"},
    "CPU manager": {"compatWithCPUManager": True},
    "volume-mounts": {"deviceListStrategy": "envvar,volume-mounts"},
    "own securityContext": {"securityContext": {"privileged": False, "runAsUser": 1000}},
    "NodeFeature API": {"gfd": {"enabled": True}, "nfd": {"enableNodeFeatureApi": True}},
    "GFD only": {"devicePlugin": {"enabled": False}, "gfd": {"enabled": True}},
    "NFD off with GFD": {"gfd": {"enabled": True}, "nfd": {"enabled": False}},
    "NFD without GFD": {"nfd": {"enabled": True}},
}


@unittest.skipUnless(HELM.exists() and KUBECTL.exists(), "needs .tools/k8s/helm (scripts/fetch-k8s-tools.py)")
class UpgradeFromUpstreamTest(ChartRendering, unittest.TestCase):
    release = "nvdp"
    namespace = "nvidia-device-plugin"

    def render(self, overrides, release=None):
        release = release or self.release
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as values:
            values.write(yaml.safe_dump(merged(DEFAULTS, overrides)))
            values.flush()
            # Upstream's image, as after swapping charts with the image left as it was.
            objects = self.template("-f", values.name, release=release, namespace=self.namespace)
        upstream = Upstream(release, self.namespace, merged(DEFAULTS, overrides))
        return objects, upstream

    @staticmethod
    def ours_only(upstream):
        """Objects upstream's v0.18.2 chart does not have: with the NodeFeature API, a Role
        that lets GFD read its own pod (the NodeFeature's owner), namespaced on purpose."""
        if upstream.value("gfd.enabled") and upstream.value("nfd.enableNodeFeatureApi"):
            ns = upstream.namespace
            return {("Role", f"{upstream.fullname}-role", ns), ("RoleBinding", f"{upstream.fullname}-role-binding", ns)}
        return set()

    @staticmethod
    def identity(obj):
        return obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace")

    def test_the_same_objects_names_namespaces_and_selectors(self):
        for case, overrides in VALUE_SETS.items():
            for release in (self.release, "nvidia-device-plugin"):  # a release name holding the chart's
                with self.subTest(values=case, release=release):
                    objects, upstream = self.render(overrides, release)
                    ours = {self.identity(o) for o in objects
                            if (o["kind"], o["metadata"]["name"]) not in STAND_IN_KINDS
                            and not o["metadata"]["name"].endswith("-stand-in-values")}
                    self.assertEqual(ours - self.ours_only(upstream), upstream.objects())
                    for daemonset in (o for o in objects if o["kind"] == "DaemonSet"):
                        self.assertEqual(daemonset["spec"]["selector"]["matchLabels"], upstream.selector,
                                         daemonset["metadata"]["name"])
                    self.assertEqual(any(o["metadata"]["name"].endswith("-stand-in-values") for o in objects),
                                     upstream.renders_nfd())

    def test_the_same_service_accounts(self):
        for case, overrides in VALUE_SETS.items():
            with self.subTest(values=case):
                objects, upstream = self.render(overrides)
                account = f"{upstream.fullname}-service-account"
                gfd_api = bool(upstream.value("nfd.enableNodeFeatureApi"))
                for daemonset in (o for o in objects if o["kind"] == "DaemonSet"):
                    name = daemonset["metadata"]["name"]
                    uses = upstream.has_config_map or (name.endswith("-gpu-feature-discovery") and gfd_api)
                    self.assertEqual(daemonset["spec"]["template"]["spec"].get("serviceAccountName"),
                                     account if uses else None, name)

    def test_no_container_gets_more_privilege_than_upstream_gives_it(self):
        for case, overrides in VALUE_SETS.items():
            with self.subTest(values=case):
                objects, upstream = self.render(overrides)
                root = {} if "securityContext" in overrides else ROOT
                for daemonset in (o for o in objects if o["kind"] == "DaemonSet"):
                    spec = daemonset["spec"]["template"]["spec"]
                    for container in spec.get("initContainers", []) + spec["containers"]:
                        context = container.get("securityContext") or {}
                        name = container["name"]
                        if name.endswith(("-init", "-sidecar")):
                            # config-manager: no privilege and no capability (upstream gives the
                            # sidecar the main container's); the main container's user, to signal it.
                            self.assertEqual({k: v for k, v in context.items() if k not in ROOT}, DROP_ALL, name)
                        elif name == "nvidia-device-plugin-ctr":
                            self.assertEqual(context, {**upstream.plugin_context(), **root}, name)
                        elif name == "gpu-feature-discovery-ctr":
                            expected = upstream.gfd_context()
                            if not upstream.value("nfd.enableNodeFeatureApi"):
                                expected = {**expected, **root}  # writes into a root-owned host directory
                            self.assertEqual(context, expected, name)
                        else:  # the MPS daemon and its mount step: privileged, as upstream
                            self.assertEqual(context, {"privileged": True, **ROOT}, name)

    def test_values_mean_what_they_mean_upstream(self):
        objects, _ = self.render({"gfd": {"enabled": True, "nameOverride": "renamed", "sleepInterval": "5s",
                                          "noTimestamp": False},
                                  "sleepInterval": "30s", "noTimestamp": True,
                                  "resources": {"limits": {"cpu": "1", "memory": "256Mi"}}})
        names = {o["metadata"]["name"] for o in objects if o["kind"] == "DaemonSet"}
        self.assertIn("nvdp-nvidia-device-plugin-gpu-feature-discovery", names)  # gfd.nameOverride: unused
        gfd = next(o for o in objects if o["metadata"]["name"].endswith("-gpu-feature-discovery"))
        env = env_of(gfd["spec"]["template"]["spec"]["containers"][-1])
        self.assertEqual((env["GFD_SLEEP_INTERVAL"], env["GFD_NO_TIMESTAMP"]), ("30s", "true"))  # the top level
        # resources: every container upstream gives them to, the MPS mount step included.
        with_resources = set()
        for daemonset in (o for o in objects if o["kind"] == "DaemonSet"):
            spec = daemonset["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                if container.get("resources"):
                    with_resources.add(container["name"])
        self.assertEqual(with_resources, {"nvidia-device-plugin-ctr", "gpu-feature-discovery-ctr",
                                          "mps-control-daemon-mounts", "mps-control-daemon-ctr"})

    def test_node_feature_discovery_gets_upstreams_values(self):
        objects, _ = self.render({"gfd": {"enabled": True}})
        values = next(o for o in objects if o["metadata"]["name"].endswith("-stand-in-values"))["data"]
        self.assertEqual(json.loads(values["master.config"]), {"extraLabelNs": ["nvidia.com"]})
        self.assertEqual(json.loads(values["worker.config"]),
                         {"sources": {"pci": {"deviceClassWhitelist": ["02", "03"], "deviceLabelFields": ["vendor"]}}})
        self.assertIn({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
                      json.loads(values["worker.tolerations"]))
        service_account = next(o for o in objects if o["kind"] == "ServiceAccount")
        self.assertEqual(service_account["metadata"]["name"], "node-feature-discovery")
        # Our chart's own defaults say the same as upstream's.
        objects = self.template("--set", "gfd.enabled=true")
        values = next(o for o in objects if o["metadata"]["name"].endswith("-stand-in-values"))["data"]
        self.assertEqual(json.loads(values["master.config"]), {"extraLabelNs": ["nvidia.com"]})

    def test_the_chart_declares_upstreams_dependency(self):
        chart = yaml.safe_load((Path(self.chart) / "Chart.yaml").read_text())
        self.assertEqual(chart["dependencies"], [{
            "name": "node-feature-discovery", "alias": "nfd", "version": "0.17.3",
            "condition": "nfd.enabled,gfd.enabled",
            "repository": "https://kubernetes-sigs.github.io/node-feature-discovery/charts"}])
        # Without it fetched, helm says what to do.
        repo_chart = Path(__file__).resolve().parents[2] / "deployments" / "helm" / "nvidia-device-plugin"
        if not (repo_chart / "charts").exists():
            result = subprocess.run([str(HELM), "template", "nvdp", str(repo_chart), "-n", "nvdp"],
                                    capture_output=True, text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("helm dependency build", result.stderr)


if __name__ == "__main__":
    unittest.main()
