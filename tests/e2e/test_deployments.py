"""The Helm chart and the static manifests, with the real helm (v4) and kubectl binaries
(scripts/fetch-k8s-tools.py puts them in .tools/k8s): helm lint, helm template with the default
values and the upstream value combinations of spec §10.2, asserting on the rendered objects;
kubectl's offline parsing (kustomize) of the static manifests; and structural checks of every
object (selectors, volume references, env entries, images). Skipped without the tools."""
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml

from harness import REPO

TOOLS = REPO / ".tools" / "k8s"
HELM, KUBECTL = TOOLS / "helm", TOOLS / "kubectl"
CHART = REPO / "deployments" / "helm" / "nvidia-device-plugin"
STATIC = REPO / "deployments" / "static"
VERSION = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
IMAGE = f"ghcr.io/nvdp/nvdp:{VERSION}"
STAND_INS = Path(__file__).parent / "charts"
HOST_PATH_TYPES = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                   "BlockDevice"}


def check_object(test, obj):
    """Structural checks an API server would also make (a subset)."""
    test.assertIn("apiVersion", obj)
    test.assertIn("kind", obj)
    test.assertTrue(obj["metadata"]["name"])
    if obj["kind"] not in ("DaemonSet", "Job"):
        return
    spec = obj["spec"]["template"]["spec"]
    if obj["kind"] == "DaemonSet":
        selector = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        test.assertTrue(selector.items() <= labels.items(), f"{obj['metadata']['name']}: selector not in labels")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for volume in volumes.values():
        if "hostPath" in volume:
            test.assertTrue(volume["hostPath"]["path"].startswith("/"))
            test.assertIn(volume["hostPath"].get("type", ""), HOST_PATH_TYPES)
    names = set()
    for container in spec.get("initContainers", []) + spec["containers"]:
        test.assertNotIn(container["name"], names)
        names.add(container["name"])
        test.assertRegex(container["image"], r"^[a-z0-9./-]+(:[A-Za-z0-9._-]+)$")
        for mount in container.get("volumeMounts", []):
            test.assertIn(mount["name"], volumes, f"{container['name']} mounts an undeclared volume")
        for env in container.get("env") or []:
            test.assertEqual(("value" in env) + ("valueFrom" in env), 1, env)
            if "value" in env:
                test.assertIsInstance(env["value"], str, env)


def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env") or []}


def chart_with_dependencies(workdir):
    """A copy of our chart with the node-feature-discovery stand-in in charts/ (helm needs the
    dependency present to render; users fetch the real one with `helm dependency build`)."""
    copy = Path(workdir) / "nvidia-device-plugin"
    shutil.copytree(CHART, copy)
    shutil.copytree(STAND_INS / "node-feature-discovery", copy / "charts" / "node-feature-discovery")
    return copy


class ChartRendering:
    """helm template of our chart (with the stand-in dependency) into objects."""

    @classmethod
    def setUpClass(cls):
        cls._work = tempfile.TemporaryDirectory()
        cls.chart = chart_with_dependencies(cls._work.name)

    @classmethod
    def tearDownClass(cls):
        cls._work.cleanup()

    def template(self, *args, namespace="nvdp", ok=True, release="nvdp"):
        result = subprocess.run([str(HELM), "template", release, str(self.chart), "--namespace", namespace, *args],
                                capture_output=True, text=True, timeout=60)
        if not ok:
            self.assertNotEqual(result.returncode, 0, result.stdout)
            return result.stderr
        self.assertEqual(result.returncode, 0, result.stderr)
        objects = [o for o in yaml.safe_load_all(result.stdout) if o]
        for obj in objects:
            check_object(self, obj)
        return objects


@unittest.skipUnless(HELM.exists() and KUBECTL.exists(), "needs .tools/k8s/{helm,kubectl} (scripts/fetch-k8s-tools.py)")
class HelmChartTest(ChartRendering, unittest.TestCase):
    def find(self, objects, kind, suffix=""):
        matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
        self.assertEqual(len(matches), 1, [o["metadata"]["name"] for o in objects if o["kind"] == kind])
        return matches[0]

    def container(self, daemonset, name):
        spec = daemonset["spec"]["template"]["spec"]
        return next(c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == name)

    def plugin(self, objects):
        return self.container(self.find(objects, "DaemonSet", "nvdp-nvidia-device-plugin"), "nvidia-device-plugin-ctr")

    def test_lint(self):
        result = subprocess.run([str(HELM), "lint", str(self.chart), "--namespace", "nvdp", "--strict"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 chart(s) linted, 0 chart(s) failed", result.stdout)

    def test_defaults(self):
        objects = self.template()
        self.assertEqual(sorted(o["kind"] for o in objects), ["DaemonSet", "DaemonSet"])
        plugin = self.plugin(objects)
        self.assertEqual(plugin["image"], IMAGE)
        self.assertEqual(plugin["command"], ["nvidia-device-plugin"])
        self.assertEqual(env_of(plugin), {"MPS_ROOT": "/run/nvidia/mps", "NVIDIA_VISIBLE_DEVICES": "all",
                                          "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"})
        self.assertEqual(plugin["securityContext"], {"allowPrivilegeEscalation": False,
                                                     "capabilities": {"drop": ["ALL"]},
                                                     "runAsUser": 0, "runAsGroup": 0})
        self.assertEqual({m["mountPath"] for m in plugin["volumeMounts"]},
                         {"/var/lib/kubelet/device-plugins", "/dev/shm", "/mps", "/var/run/cdi"})
        mps = self.find(objects, "DaemonSet", "-mps-control-daemon")
        spec = mps["spec"]["template"]["spec"]
        self.assertTrue(spec["hostPID"])
        self.assertEqual(spec["nodeSelector"], {"nvidia.com/mps.capable": "true"})
        self.assertEqual(spec["initContainers"][0]["command"], ["mps-control-daemon", "mount-shm"])
        self.assertEqual(spec["initContainers"][0]["volumeMounts"][0]["mountPropagation"], "Bidirectional")
        self.assertTrue(spec["containers"][0]["securityContext"]["privileged"])

    def test_host_network_per_component(self):
        """devicePlugin/gfd/mps.enableHostNetwork (upstream v0.20): off by default, one each."""
        names = {"devicePlugin": "nvdp-nvidia-device-plugin", "gfd": "-gpu-feature-discovery",
                 "mps": "-mps-control-daemon"}

        def host_network(objects):
            out = {}
            for key, suffix in names.items():
                spec = self.find(objects, "DaemonSet", suffix)["spec"]["template"]["spec"]
                out[key] = (spec.get("hostNetwork", False), spec.get("dnsPolicy"))
            return out

        off = (False, None)
        on = (True, "ClusterFirstWithHostNet")
        self.assertEqual(host_network(self.template("--set", "gfd.enabled=true")),
                         {"devicePlugin": off, "gfd": off, "mps": off})
        for key in names:
            with self.subTest(component=key):
                got = host_network(self.template("--set", "gfd.enabled=true", "--set", f"{key}.enableHostNetwork=true"))
                self.assertEqual(got, {k: on if k == key else off for k in names})

    def test_upstream_security_context_cases(self):
        cases = [
            ([], {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}),
            (["--set", "compatWithCPUManager=true"], {"privileged": True}),
            (["--set", "migStrategy=single"], {"capabilities": {"add": ["SYS_ADMIN"]}}),
            (["--set", "deviceListStrategy=volume-mounts"], {"capabilities": {"add": ["SYS_ADMIN"]}}),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                context = self.plugin(self.template(*args))["securityContext"]
                self.assertEqual({k: v for k, v in context.items() if k not in ("runAsUser", "runAsGroup")}, expected)
        context = self.plugin(self.template("--set", "runAsRoot=false"))["securityContext"]
        self.assertNotIn("runAsUser", context)
        own = {"privileged": False, "runAsUser": 1000}
        self.assertEqual(self.plugin(self.template("--set-json", "securityContext=" + json.dumps(own)))["securityContext"], own)

    def test_plugin_values_become_environment_variables(self):
        plugin = self.plugin(self.template(
            "--set", "migStrategy=mixed", "--set", "failOnInitError=false", "--set", "compatWithCPUManager=true",
            "--set", "deviceListStrategy=envvar\\,cdi-cri", "--set", "deviceIDStrategy=index",
            "--set", "nvidiaDriverRoot=/run/nvidia/driver", "--set", "gdsEnabled=true",
            "--set", "cdi.nvidiaHookPath=/usr/local/nvidia/toolkit/nvidia-cdi-hook",
            "--set", "metrics.port=8080", "--set", "healthRecoveryPeriod=10m",
            "--set", "sharedDevicesAllocationPolicy=packed"))
        env = env_of(plugin)
        for key, value in {"MIG_STRATEGY": "mixed", "FAIL_ON_INIT_ERROR": "false", "PASS_DEVICE_SPECS": "true",
                           "DEVICE_LIST_STRATEGY": "envvar,cdi-cri", "DEVICE_ID_STRATEGY": "index",
                           "NVIDIA_DRIVER_ROOT": "/run/nvidia/driver", "GDS_ENABLED": "true",
                           "NVIDIA_CDI_HOOK_PATH": "/usr/local/nvidia/toolkit/nvidia-cdi-hook",
                           "NVIDIA_MIG_MONITOR_DEVICES": "all", "METRICS_ADDRESS": ":8080",
                           "HEALTH_RECOVERY_PERIOD": "10m", "SHARED_DEVICES_ALLOCATION_POLICY": "packed"}.items():
            self.assertEqual(env.get(key), value, key)
        self.assertIn({"name": "driver-root", "mountPath": "/driver-root", "readOnly": True}, plugin["volumeMounts"])
        self.assertEqual(plugin["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "metrics"})
        self.assertEqual(plugin["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "metrics"})
        # A value of the wrong type is not passed on, as upstream.
        self.assertNotIn("FAIL_ON_INIT_ERROR", env_of(self.plugin(self.template("--set-string", "failOnInitError=no"))))

    def test_config_map_with_config_manager(self):
        configs = {"default": "version: v1\n", "ts": "version: v1\nsharing:\n  timeSlicing:\n    resources:\n"
                   "    - name: nvidia.com/gpu\n      replicas: 4\n"}
        objects = self.template("--set-json", "config.map=" + json.dumps(configs), "--set", "gfd.enabled=true")
        self.assertEqual(self.find(objects, "ConfigMap", "-configs")["data"], {k: v.rstrip("\n") for k, v in configs.items()})
        self.assertEqual(self.find(objects, "ClusterRole", "-role")["rules"],
                         [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}])
        self.find(objects, "ServiceAccount", "-service-account")
        self.find(objects, "ClusterRoleBinding")
        for name, process in (("nvdp-nvidia-device-plugin", "nvidia-device-plugin"),
                              ("-gpu-feature-discovery", "gpu-feature-discovery"),
                              ("-mps-control-daemon", "mps-control-daemon")):
            with self.subTest(daemonset=name):
                daemonset = self.find(objects, "DaemonSet", name)
                pod = daemonset["spec"]["template"]
                self.assertIn("checksum/config", pod["metadata"]["annotations"])
                self.assertTrue(pod["spec"].get("shareProcessNamespace") or pod["spec"].get("hostPID"))
                init = self.container(daemonset, f"{process}-init")
                sidecar = self.container(daemonset, f"{process}-sidecar")
                self.assertEqual(init["command"], ["config-manager"])
                self.assertEqual(env_of(init)["ONESHOT"], "true")
                self.assertEqual(env_of(init)["SEND_SIGNAL"], "false")
                self.assertEqual(env_of(sidecar)["ONESHOT"], "false")
                self.assertEqual(env_of(sidecar)["PROCESS_TO_SIGNAL"], process)
                self.assertEqual(env_of(sidecar)["SIGNAL"], "1")
                self.assertEqual(env_of(sidecar)["DEFAULT_CONFIG"], "default")  # the 'named' fallback
                self.assertEqual(env_of(sidecar)["FALLBACK_STRATEGIES"], "named,single")
                self.assertEqual(env_of(sidecar)["NODE_NAME"], {"fieldRef": {"fieldPath": "spec.nodeName"}})
                main = pod["spec"]["containers"][-1]
                self.assertEqual(env_of(main)["CONFIG_FILE"], "/config/config.yaml")
                self.assertEqual(env_of(main)["NVIDIA_MIG_MONITOR_DEVICES"], "all")
                # The sidecar can signal the main process: the same user.
                self.assertEqual(sidecar["securityContext"].get("runAsUser"), main["securityContext"].get("runAsUser"))
        named = self.template("--set", "config.name=my-configs", "--set", "config.default=ts")
        self.assertEqual(self.find(named, "DaemonSet", "nvdp-nvidia-device-plugin")["spec"]["template"]["spec"]
                         ["volumes"][-2]["configMap"]["name"], "my-configs")
        self.assertFalse([o for o in named if o["kind"] == "ConfigMap"])

    def test_mig_strategies(self):
        for strategy in ("none", "single", "mixed"):
            with self.subTest(strategy=strategy):
                objects = self.template("--set", f"migStrategy={strategy}", "--set", "gfd.enabled=true")
                for daemonset in [o for o in objects if o["kind"] == "DaemonSet"]:
                    main = daemonset["spec"]["template"]["spec"]["containers"][-1]
                    self.assertEqual(env_of(main).get("MIG_STRATEGY"), strategy)
                    self.assertEqual("NVIDIA_MIG_MONITOR_DEVICES" in env_of(main), strategy != "none")

    def test_gfd(self):
        objects = self.template("--set", "gfd.enabled=true", "--set", "sleepInterval=30s",
                                "--set", "noTimestamp=true", "--set", "gfd.sleepInterval=5s")
        gfd = self.find(objects, "DaemonSet", "-gpu-feature-discovery")
        container = gfd["spec"]["template"]["spec"]["containers"][0]
        env = env_of(container)
        self.assertEqual(env["NODE_NAME"], {"fieldRef": {"fieldPath": "spec.nodeName"}})
        self.assertEqual(env["NAMESPACE"], {"fieldRef": {"fieldPath": "metadata.namespace"}})
        self.assertEqual(env["GFD_USE_NODE_FEATURE_API"], "false")
        self.assertEqual(env["GFD_SLEEP_INTERVAL"], "30s")  # the top-level key; gfd.* is read by nothing
        self.assertEqual(env["GFD_NO_TIMESTAMP"], "true")
        self.assertEqual(container["securityContext"], {"privileged": True, "runAsUser": 0, "runAsGroup": 0})
        self.assertEqual({m["mountPath"] for m in container["volumeMounts"]},
                         {"/etc/kubernetes/node-feature-discovery/features.d", "/sys"})
        # Upstream's selector on every DaemonSet; the component label tells the pods apart.
        plugin = self.find(objects, "DaemonSet", "nvdp-nvidia-device-plugin")
        self.assertEqual(plugin["spec"]["selector"], gfd["spec"]["selector"])
        self.assertEqual(gfd["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"],
                         "gpu-feature-discovery")
        # The NodeFeature API: RBAC for nodefeatures, and no root needed.
        objects = self.template("--set", "gfd.enabled=true", "--set", "nfd.enableNodeFeatureApi=true")
        gfd = self.find(objects, "DaemonSet", "-gpu-feature-discovery")
        self.assertEqual(env_of(gfd["spec"]["template"]["spec"]["containers"][0])["GFD_USE_NODE_FEATURE_API"], "true")
        self.assertNotIn("runAsUser", gfd["spec"]["template"]["spec"]["containers"][0]["securityContext"])
        rules = self.find(objects, "ClusterRole")["rules"]
        self.assertIn({"apiGroups": ["nfd.k8s-sigs.io"], "resources": ["nodefeatures"],
                       "verbs": ["get", "list", "watch", "create", "update"]}, rules)
        # Its own pod, for the NodeFeature's owner: POD_NAME, and pods get in its namespace only.
        self.assertEqual(gfd["spec"]["template"]["spec"]["containers"][0]["env"][2],
                         {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        role = self.find(objects, "Role", "-role")
        self.assertEqual(role["metadata"]["namespace"], gfd["metadata"]["namespace"])
        self.assertEqual(role["rules"], [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
        binding = self.find(objects, "RoleBinding", "-role-binding")
        self.assertEqual(binding["roleRef"]["name"], role["metadata"]["name"])
        self.assertNotIn("pods", str(rules))

    def test_image_can_be_swapped(self):
        plugin = self.plugin(self.template("--set", "image.repository=nvcr.io/nvidia/k8s-device-plugin",
                                           "--set", "image.tag=v0.18.2"))
        self.assertEqual(plugin["image"], "nvcr.io/nvidia/k8s-device-plugin:v0.18.2")

    def test_validation_failures(self):
        for args, message in [
            (["--set", "namespace=x"], "the value 'namespace' is not supported"),
            (["--set", "config.name=a", "--set-json", 'config.map={"a":"version: v1"}'], "either config.name"),
            (["--set-json", 'config.map={"a":"version: v1","b":"version: v1"}'], "config.map has no config to use by default"),
        ]:
            with self.subTest(args=args):
                self.assertIn(message, self.template(*args, ok=False))
        self.assertIn("running in the 'default' namespace", self.template(namespace="default", ok=False))
        self.template("--set", "allowDefaultNamespace=true", namespace="default")
        # A map that a fallback resolves is accepted.
        self.template("--set-json", 'config.map={"a":"version: v1","b":"version: v1"}',
                      "--set-json", 'config.fallbackStrategies=["named","single","empty"]')


DRA_RULES = [{"apiGroups": ["resource.k8s.io"], "resources": ["resourceclaims"], "verbs": ["get", "list", "watch"]},
             {"apiGroups": ["resource.k8s.io"], "resources": ["resourceslices"],
              "verbs": ["get", "list", "watch", "create", "update", "delete"]},
             {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]


@unittest.skipUnless(HELM.exists(), "needs .tools/k8s/helm (scripts/fetch-k8s-tools.py)")
class DraChartTest(ChartRendering, unittest.TestCase):
    """The chart's DRA mode (dra.enabled): gpu-kubelet-plugin, its RBAC and DeviceClasses, and the
    guard against the device plugin and the DRA plugin on the same nodes."""

    def dra(self, objects):
        return [o for o in objects if "gpu-kubelet-plugin" in o["metadata"]["name"] or o["kind"] == "DeviceClass"]

    def test_off_by_default(self):
        self.assertEqual(self.dra(self.template()), [])

    def test_the_dra_mode_renders_the_plugin_its_rbac_and_the_classes(self):
        objects = self.template("--set", "dra.enabled=true", "--set", "devicePlugin.enabled=false")
        self.assertFalse([o for o in objects if o["kind"] == "DaemonSet" and o["metadata"]["name"] == "nvdp-nvidia-device-plugin"])
        by_kind = {}
        for o in self.dra(objects):
            by_kind.setdefault(o["kind"], []).append(o)
        self.assertEqual(sorted(by_kind), ["ClusterRole", "ClusterRoleBinding", "DaemonSet", "DeviceClass", "ServiceAccount"])
        self.assertEqual(by_kind["ClusterRole"][0]["rules"], DRA_RULES)
        binding = by_kind["ClusterRoleBinding"][0]
        self.assertEqual(binding["subjects"][0]["name"], by_kind["ServiceAccount"][0]["metadata"]["name"])
        (ds,) = by_kind["DaemonSet"]
        spec = ds["spec"]["template"]["spec"]
        self.assertEqual(spec["serviceAccountName"], by_kind["ServiceAccount"][0]["metadata"]["name"])
        (container,) = spec["containers"]
        self.assertEqual(container["command"], ["gpu-kubelet-plugin"])
        self.assertEqual(container["image"], IMAGE)
        env = env_of(container)
        self.assertEqual(env["NODE_NAME"], {"fieldRef": {"fieldPath": "spec.nodeName"}})
        self.assertEqual(env["KUBELET_PLUGINS_DIRECTORY_PATH"], "/var/lib/kubelet/plugins")
        self.assertEqual(env["HEALTHCHECK_PORT"], "51515")
        self.assertEqual(container["readinessProbe"]["grpc"]["port"], 51515)
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        self.assertEqual(mounts["plugins"]["mountPropagation"], "Bidirectional")
        self.assertEqual(mounts["plugins-registry"]["mountPath"], "/var/lib/kubelet/plugins_registry")
        self.assertEqual(mounts["driver-root"], {"name": "driver-root", "mountPath": "/driver-root", "readOnly": True})
        classes = {c["metadata"]["name"]: c["spec"]["selectors"][0]["cel"]["expression"] for c in by_kind["DeviceClass"]}
        static = {c["metadata"]["name"]: c["spec"]["selectors"][0]["cel"]["expression"]
                  for c in yaml.safe_load_all((STATIC / "dra-deviceclasses.yaml").read_text())}
        self.assertEqual(classes, static)
        self.assertNotIn("DEVICE_TAINTS", env)
        tainting = self.template("--set", "dra.enabled=true", "--set", "devicePlugin.enabled=false",
                                 "--set", "dra.deviceTaints=true")
        plugin = next(o for o in tainting if o["kind"] == "DaemonSet" and "gpu-kubelet-plugin" in o["metadata"]["name"])
        self.assertEqual(env_of(plugin["spec"]["template"]["spec"]["containers"][0])["DEVICE_TAINTS"], "true")
        no_classes = self.template("--set", "dra.enabled=true", "--set", "devicePlugin.enabled=false",
                                   "--set", "dra.deviceClasses=false")
        self.assertFalse([o for o in no_classes if o["kind"] == "DeviceClass"])

    def test_lint_in_dra_mode(self):
        result = subprocess.run([str(HELM), "lint", str(self.chart), "--namespace", "nvdp", "--strict",
                                 "--set", "dra.enabled=true", "--set", "devicePlugin.enabled=false"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_never_both_plugins_for_the_same_nodes(self):
        refused = "would run the DRA plugin and the device plugin for the same GPUs"
        self.assertIn(refused, self.template("--set", "dra.enabled=true", ok=False))
        same = ["--set", "dra.enabled=true", "--set-string", "dra.nodeSelector.mode=dra",
                "--set-string", "nodeSelector.mode=dra"]
        self.assertIn(refused, self.template(*same, ok=False))
        only_one_side = ["--set", "dra.enabled=true", "--set-string", "dra.nodeSelector.mode=dra"]
        self.assertIn(refused, self.template(*only_one_side, ok=False))
        objects = self.template("--set", "dra.enabled=true", "--set-string", "dra.nodeSelector.mode=dra",
                                "--set-string", "nodeSelector.mode=device-plugin")
        selectors = {o["metadata"]["name"]: o["spec"]["template"]["spec"].get("nodeSelector")
                     for o in objects if o["kind"] == "DaemonSet"}
        self.assertEqual(selectors["nvdp-nvidia-device-plugin"], {"mode": "device-plugin"})
        self.assertEqual(selectors["nvdp-nvidia-device-plugin-gpu-kubelet-plugin"], {"mode": "dra"})

    def test_the_static_manifest_is_the_charts(self):
        objects = {o["kind"]: o for o in yaml.safe_load_all((STATIC / "gpu-kubelet-plugin.yml").read_text())}
        for obj in objects.values():
            check_object(self, obj)
        self.assertEqual(objects["ClusterRole"]["rules"], DRA_RULES)
        spec = objects["DaemonSet"]["spec"]["template"]["spec"]
        chart = next(o for o in self.template("--set", "dra.enabled=true", "--set", "devicePlugin.enabled=false")
                     if o["kind"] == "DaemonSet" and "gpu-kubelet-plugin" in o["metadata"]["name"])
        chart_container = chart["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(env_of(spec["containers"][0]), env_of(chart_container))
        self.assertEqual(spec["containers"][0]["volumeMounts"], chart_container["volumeMounts"])
        self.assertEqual(spec["nodeSelector"], {"nvidia.com/gpu.deploy.dra": "true"})


@unittest.skipUnless(KUBECTL.exists(), "needs .tools/k8s/kubectl (scripts/fetch-k8s-tools.py)")
class StaticManifestTest(unittest.TestCase):
    def load(self, path):
        text = path.read_text().replace("NODE_NAME", "gpu-node-1")
        return [o for o in yaml.safe_load_all(text) if o]

    def test_kubectl_parses_every_manifest_offline(self):
        files = sorted(STATIC.glob("*.y*ml")) + [STATIC / "gpu-feature-discovery-job.yaml.template"]
        for path in files:
            with self.subTest(manifest=path.name), tempfile.TemporaryDirectory() as work:
                (Path(work) / "manifest.yaml").write_text(path.read_text().replace("NODE_NAME", "gpu-node-1"))
                (Path(work) / "kustomization.yaml").write_text("resources: [manifest.yaml]\n")
                result = subprocess.run([str(KUBECTL), "kustomize", work], capture_output=True, text=True, timeout=60)
                self.assertEqual(result.returncode, 0, result.stderr)
                objects = [o for o in yaml.safe_load_all(result.stdout) if o]
                self.assertEqual(len(objects), len(self.load(path)))
                for obj in objects:
                    check_object(self, obj)

    def test_equivalent_to_upstream(self):
        [plugin] = self.load(STATIC / "nvidia-device-plugin.yml")
        self.assertEqual((plugin["kind"], plugin["metadata"]["name"], plugin["metadata"]["namespace"]),
                         ("DaemonSet", "nvidia-device-plugin-daemonset", "kube-system"))
        spec = plugin["spec"]["template"]["spec"]
        self.assertEqual(spec["priorityClassName"], "system-node-critical")
        self.assertEqual(spec["tolerations"], [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
        container = spec["containers"][0]
        self.assertEqual(container["image"], IMAGE + "-compat")
        self.assertEqual(container["securityContext"], {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
        cpu = self.load(STATIC / "nvidia-device-plugin-compat-with-cpumanager.yml")[0]["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(env_of(cpu), {"PASS_DEVICE_SPECS": "true"})
        self.assertTrue(cpu["securityContext"]["privileged"])
        kinds = [o["kind"] for o in self.load(STATIC / "nvidia-device-plugin-privileged-with-service-account.yml")]
        self.assertEqual(kinds, ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
                                 "RoleBinding", "DaemonSet"])
        for name, strategy in (("gpu-feature-discovery-daemonset.yaml", "none"),
                               ("gpu-feature-discovery-daemonset-with-mig-single.yaml", "single"),
                               ("gpu-feature-discovery-daemonset-with-mig-mixed.yaml", "mixed")):
            [gfd] = self.load(STATIC / name)
            container = gfd["spec"]["template"]["spec"]["containers"][0]
            self.assertEqual(container["command"], ["/usr/bin/gpu-feature-discovery"])
            self.assertEqual(env_of(container).get("MIG_STRATEGY"), strategy)
            self.assertEqual("NVIDIA_MIG_MONITOR_DEVICES" in env_of(container), strategy != "none")
        [job] = self.load(STATIC / "gpu-feature-discovery-job.yaml.template")
        self.assertEqual(job["spec"]["template"]["spec"]["nodeName"], "gpu-node-1")
        self.assertEqual(job["spec"]["template"]["spec"]["containers"][0]["args"], ["--oneshot"])
