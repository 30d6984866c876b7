"""CDI end to end: the plugin on simulated nodes writes CDI specs (checked against golden files,
the CDI JSON schema and the profiles) and answers Allocate for every strategy combination; IMEX
channels present, missing and required; host path rewriting; stale spec removal.

NVDP_UPDATE_GOLDEN=1 rewrites the golden specs (review the diff by hand)."""
import json
import os
import re
import signal
import subprocess
from pathlib import Path

import jsonschema

from harness import BIN, GPU, SIM_ROOT, E2ETest, profile

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "cdi"
SCHEMA = json.loads((HERE / "cdi" / "schema.json").read_text())
VENDOR = "k8s.device-plugin.nvidia.com"


def minimum_version(spec):
    """The lowest CDI version that has every field the spec uses (SPEC.md's version table)."""
    edits = [spec.get("containerEdits", {})] + [d["containerEdits"] for d in spec["devices"]]
    version = "0.3.0"
    if any("hostPath" in n for e in edits for n in e.get("deviceNodes", [])):
        version = "0.5.0"
    if "annotations" in spec or any("annotations" in d for d in spec["devices"]):
        version = "0.6.0"
    if any("additionalGids" in e or "intelRdt" in e for e in edits):
        version = "0.7.0"
    return version


class CdiTest(E2ETest):
    def setUp(self):
        super().setUp()
        self.cdi = self.tmp / "cdi"

    def start(self, profile_name, *args, root=None, env=None):
        args = ["--cdi-spec-dir", str(self.cdi), *args]
        if root is not None:
            args = ["--driver-root-ctr-path", str(root), *args]
        return self.plugin(profile_name, args=args, env=env)

    def spec(self, device_class="gpu"):
        path = self.cdi / f"{VENDOR}-{device_class}.json"
        spec = json.loads(path.read_text())
        jsonschema.validate(spec, SCHEMA)
        self.assertEqual(spec["cdiVersion"], minimum_version(spec))
        self.assertEqual(spec["kind"], f"{VENDOR}/{device_class}")
        return spec

    def test_golden_specs(self):
        cases = {
            "dgx-a100-uuid": ("dgx-a100", []),
            "dgx-a100-index": ("dgx-a100", ["--device-id-strategy=index"]),
            "a100-mig-mixed-uuid": ("a100-mig-mixed", ["--mig-strategy=mixed"]),
            "a100-mig-single-index": ("a100-mig-single", ["--mig-strategy=single", "--device-id-strategy=index"]),
        }
        for name, (profile_name, args) in cases.items():
            with self.subTest(golden=name):
                plugin = self.start(profile_name, "--device-list-strategy=cdi-cri", *args)
                plugin.wait_log(r"Wrote the CDI spec \S+-gpu\.json", 10)
                spec = self.spec()
                golden = GOLDEN / f"{name}.json"
                if os.environ.get("NVDP_UPDATE_GOLDEN"):
                    golden.write_text(json.dumps(spec, indent=2) + "\n")
                self.assertEqual(spec, json.loads(golden.read_text()))
                # Facts from the profile, independent of the golden file.
                gpus = profile(profile_name)["gpus"]
                index = "--device-id-strategy=index" in args
                names = [d["name"] for d in spec["devices"]]
                for i, gpu in enumerate(gpus):
                    self.assertIn(str(i) if index else gpu["uuid"], names)
                self.assertEqual(names[-1], "all")
                driver = profile(profile_name)["driverVersion"]
                libraries = [m["containerPath"] for m in spec["containerEdits"]["mounts"] if ".so." in m["containerPath"]]
                self.assertTrue(libraries)
                self.assertTrue(all(path.endswith("." + driver) for path in libraries), libraries)
                plugin.stop()
                for path in self.cdi.iterdir():
                    path.unlink()

    def test_allocate_for_every_strategy_combination(self):
        uuids = [g["uuid"] for g in profile("pcie-4xt4")["gpus"]]
        gpu_names = [f"{VENDOR}/gpu={u}" for u in (uuids[1], uuids[0])]
        cases = [
            ("cdi-annotations", {}, [], "cdi.k8s.io/"),
            ("cdi-cri", {}, gpu_names, None),
            ("cdi-annotations,cdi-cri", {}, gpu_names, "cdi.k8s.io/"),
            ("envvar,cdi-cri", {"NVIDIA_VISIBLE_DEVICES": f"{uuids[1]},{uuids[0]}"}, gpu_names, None),
            ("volume-mounts,cdi-annotations", {"NVIDIA_VISIBLE_DEVICES": "/var/run/nvidia-container-devices"}, [],
             "cdi.k8s.io/"),
        ]
        for strategies, envs, cdi_devices, prefix in cases:
            with self.subTest(strategies=strategies):
                emulator = self.emulator()
                plugin = self.start("pcie-4xt4", f"--device-list-strategy={strategies}", "--gds-enabled")
                try:
                    self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
                    response = self.assertReplyOk(emulator.send(f"allocate {GPU} {uuids[1]},{uuids[0]}"))["response"]
                    # The feature variables come with every strategy, as upstream v0.20.
                    expected_envs = dict(envs, NVIDIA_GDS="enabled")
                    self.assertEqual(response["envs"], expected_envs)
                    self.assertEqual(response["cdiDevices"], cdi_devices)
                    if prefix is None:
                        self.assertEqual(response["annotations"], {})
                    else:
                        [(key, value)] = response["annotations"].items()
                        self.assertRegex(key, "^" + re.escape(prefix) +
                                         r"nvidia-device-plugin_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
                        self.assertEqual(value, ",".join(gpu_names))
                    if "volume-mounts" in strategies:
                        self.assertEqual([m["containerPath"] for m in response["mounts"]],
                                         [f"/var/run/nvidia-container-devices/{u}" for u in (uuids[1], uuids[0])])
                finally:  # a failed case must not leave its plugin serving the next one
                    plugin.stop()
                    emulator.close()
                    for path in self.plugin_dir.iterdir():
                        path.unlink()

    def test_disabled_hooks_leave_the_spec(self):
        """CDI_DISABLE_HOOKS (upstream v0.20), as the plugin reads it from its DaemonSet."""
        plugin = self.start("dgx-a100", "--device-list-strategy=cdi-cri",
                            env={"CDI_DISABLE_HOOKS": "disable-device-node-modification, update-ldcache, chmod"})
        plugin.wait_log(r"Wrote the CDI spec \S+-gpu\.json", 10)
        hooks = [h["args"][2] for h in self.spec()["containerEdits"]["hooks"]]
        self.assertEqual(hooks, ["create-symlinks", "enable-cuda-compat"])
        plugin.wait_log(r"--cdi-disable-hooks: chmod is not a hook these specs have", 5)
        plugin.stop()
        plugin = self.start("dgx-a100", "--device-list-strategy=cdi-cri", "--cdi-disable-hooks=all")
        plugin.wait_log(r"Wrote the CDI spec \S+-gpu\.json", 10)
        self.assertNotIn("hooks", self.spec()["containerEdits"])

    def test_custom_annotation_prefix_and_index_ids(self):
        emulator = self.emulator()
        self.start("dgx-a100", "--device-list-strategy=cdi-annotations", "--cdi-annotation-prefix=cdi.example.com/",
                   "--device-id-strategy=index")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 8"))
        uuids = [g["uuid"] for g in profile("dgx-a100")["gpus"]]
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} {uuids[5]}"))["response"]
        [(key, value)] = response["annotations"].items()
        self.assertTrue(key.startswith("cdi.example.com/nvidia-device-plugin_"), key)
        self.assertEqual(value, f"{VENDOR}/gpu=5")
        self.assertIn("5", [d["name"] for d in self.spec()["devices"]])

    def test_host_paths_follow_driver_root_and_dev_root(self):
        plugin = self.start("dgx-a100", "--device-list-strategy=cdi-cri", "--driver-root=/run/nvidia/driver")
        plugin.wait_log(r"Wrote the CDI spec", 10)
        spec = self.spec()
        for mount in spec["containerEdits"]["mounts"]:
            self.assertEqual(mount["hostPath"], "/run/nvidia/driver" + mount["containerPath"])
        node = spec["devices"][0]["containerEdits"]["deviceNodes"][0]
        self.assertEqual(node["hostPath"], "/run/nvidia/driver" + node["path"])  # nvidiaDevRoot defaults to it
        plugin.stop()
        plugin = self.start("dgx-a100", "--device-list-strategy=cdi-cri", "--driver-root=/run/nvidia/driver",
                            "--dev-root=/")
        plugin.wait_log(r"Wrote the CDI spec", 10)
        spec = self.spec()
        node = spec["devices"][0]["containerEdits"]["deviceNodes"][0]
        self.assertEqual(node["hostPath"], node["path"])
        for node in spec["containerEdits"]["deviceNodes"]:
            self.assertEqual(node["hostPath"], node["path"])
        self.assertTrue(spec["containerEdits"]["mounts"][0]["hostPath"].startswith("/run/nvidia/driver/"))

    def test_drm_nodes_for_gpus_and_graphics_mig_devices(self):
        """nvidia-drm's /dev/dri nodes go with their GPU, and with the GPU's +gfx MIG devices only
        (upstream v0.20, through the container toolkit), with the by-path links as a hook."""
        plugin = self.start("rtx-pro-6000-mig", "--device-list-strategy=cdi-cri", "--mig-strategy=mixed")
        plugin.wait_log(r"Wrote the CDI spec \S+-gpu\.json", 10)
        devices = {d["name"]: d["containerEdits"] for d in self.spec()["devices"]}
        gpus = profile("rtx-pro-6000-mig")["gpus"]

        def nodes(name):
            return [(n["path"], n["hostPath"]) for n in devices[name]["deviceNodes"]]

        def links(name):
            [hook] = [h for h in devices[name].get("hooks", []) if h["args"][:3] == ["nvidia-ctk", "hook",
                                                                                   "create-symlinks"]]
            return hook["args"][3:]

        self.assertEqual(nodes(gpus[1]["uuid"]), [(p, p) for p in ("/dev/nvidia1", "/dev/dri/card2",
                                                                   "/dev/dri/renderD129")])
        self.assertEqual(links(gpus[1]["uuid"]), ["--link", "../card2::/dev/dri/by-path/pci-0000:e1:00.0-card",
                                                  "--link", "../renderD129::/dev/dri/by-path/pci-0000:e1:00.0-render"])
        env = dict(os.environ, NVML_SIM_PROFILE="rtx-pro-6000-mig")
        dry_run = subprocess.run([str(BIN / "nvidia-device-plugin"), "--driver-root-ctr-path", str(SIM_ROOT),
                                  "--mig-strategy=mixed", "--dry-run"], env=env, capture_output=True, text=True,
                                 timeout=10, check=True).stdout
        migs = re.findall(r"MIG 0:\d+ (MIG-\S+) (\S+) \(GPU instance \d+, compute instance \d+(, graphics)?\)",
                          dry_run)
        self.assertEqual([(profile_name, bool(graphics)) for _, profile_name, graphics in migs],
                         [("2g.48gb+gfx", True), ("1g.24gb+gfx", True), ("1g.24gb", False)])
        for uuid, _, graphics in migs:
            paths = [path for path, _ in nodes(uuid)]
            self.assertEqual(paths[0], "/dev/nvidia0")
            self.assertEqual(len([p for p in paths if p.startswith("/dev/nvidia-caps/")]), 2, paths)
            if graphics:
                self.assertEqual(paths[3:], ["/dev/dri/card1", "/dev/dri/renderD128"])
                self.assertEqual(links(uuid)[1], "../card1::/dev/dri/by-path/pci-0000:c1:00.0-card")
            else:
                self.assertEqual(len(paths), 3, paths)
                self.assertNotIn("hooks", devices[uuid])
        all_paths = [path for path, _ in nodes("all")]
        for path in ("/dev/dri/card1", "/dev/dri/renderD128", "/dev/dri/card2", "/dev/dri/renderD129"):
            self.assertEqual(all_paths.count(path), 1, path)
        plugin.stop()
        plugin = self.start("rtx-pro-6000-mig", "--device-list-strategy=cdi-cri", "--cdi-disable-hooks=create-symlinks")
        plugin.wait_log(r"Wrote the CDI spec \S+-gpu\.json", 10)
        devices = {d["name"]: d["containerEdits"] for d in self.spec()["devices"]}
        self.assertNotIn("hooks", devices[gpus[1]["uuid"]])
        self.assertIn("/dev/dri/card2", [n["path"] for n in devices[gpus[1]["uuid"]]["deviceNodes"]])

    def test_hook_path(self):
        plugin = self.start("dgx-a100", "--device-list-strategy=cdi-cri",
                            "--nvidia-cdi-hook-path=/usr/local/nvidia/toolkit/nvidia-cdi-hook")
        plugin.wait_log(r"Wrote the CDI spec", 10)
        for hook in self.spec()["containerEdits"]["hooks"]:
            self.assertEqual(hook["path"], "/usr/local/nvidia/toolkit/nvidia-cdi-hook")
            self.assertEqual(hook["args"][0], "nvidia-cdi-hook")


class ImexAndModesTest(E2ETest):
    """A driver root of links into the simulated one, with its own /dev."""

    def setUp(self):
        super().setUp()
        self.cdi = self.tmp / "cdi"
        self.root = self.tmp / "driver-root"
        (self.root / "dev" / "nvidia-caps-imex-channels").mkdir(parents=True)
        for entry in ("usr", "sys", "proc", "lib", "var"):
            (self.root / entry).symlink_to(SIM_ROOT / entry)

    def start(self, profile_name, *args):
        return self.plugin(profile_name, args=["--driver-root-ctr-path", str(self.root), "--cdi-spec-dir",
                                               str(self.cdi), *args])

    def channel(self):
        (self.root / "dev" / "nvidia-caps-imex-channels" / "channel0").symlink_to("/dev/null")

    def test_present_channel_in_every_strategy(self):
        self.channel()
        emulator = self.emulator()
        self.start("gb200-nvl", "--imex-channel-ids=0", "--device-list-strategy=envvar,volume-mounts,cdi-cri",
                   "--pass-device-specs")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        uuid = profile("gb200-nvl")["gpus"][0]["uuid"]
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} {uuid}"))["response"]
        self.assertIn(f"{VENDOR}/imex-channel=0", response["cdiDevices"])
        self.assertIn({"containerPath": "/var/run/nvidia-container-devices/imex/0", "hostPath": "/dev/null",
                       "readOnly": False}, response["mounts"])
        self.assertEqual(response["devices"][-1], {"containerPath": "/dev/nvidia-caps-imex-channels/channel0",
                                                   "hostPath": "/dev/nvidia-caps-imex-channels/channel0",
                                                   "permissions": "rw"})
        spec = json.loads((self.cdi / f"{VENDOR}-imex-channel.json").read_text())
        jsonschema.validate(spec, SCHEMA)
        self.assertEqual([d["name"] for d in spec["devices"]], ["0"])

    def test_envvar_names_the_channel(self):
        self.channel()
        emulator = self.emulator()
        self.start("gb200-nvl", "--imex-channel-ids=0")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))["response"]
        self.assertEqual(response["envs"]["NVIDIA_IMEX_CHANNELS"], "0")

    def test_missing_channel_required_or_not(self):
        plugin = self.start("gb200-nvl", "--imex-channel-ids=0", "--imex-required")
        self.assertEqual(plugin.wait(10), 1)
        self.assertIn("requested IMEX channel channel0 does not exist", plugin.log())
        emulator = self.emulator()
        plugin = self.start("gb200-nvl", "--imex-channel-ids=0", "--device-list-strategy=envvar,cdi-cri")
        plugin.wait_log(r"Ignoring requested IMEX channel channel0")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))["response"]
        self.assertNotIn("NVIDIA_IMEX_CHANNELS", response["envs"])
        self.assertFalse(any("imex" in name for name in response["cdiDevices"]))
        self.assertFalse((self.cdi / f"{VENDOR}-imex-channel.json").exists())

    def test_mode_specs_and_stale_removal(self):
        (self.root / "dev" / "gdrdrv").touch()
        (self.cdi).mkdir()
        (self.cdi / "other-vendor.json").write_text("{}")
        emulator = self.emulator()
        plugin = self.start("pcie-4xt4", "--device-list-strategy=cdi-cri", "--gdrcopy-enabled", "--mofed-enabled")
        plugin.wait_log(r"mofed is enabled but none of its devices exist")
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4"))
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} 1"))["response"]
        self.assertEqual(response["cdiDevices"][-1], f"{VENDOR}/gdrcopy=all")
        self.assertFalse(any("mofed" in name for name in response["cdiDevices"]))
        spec = json.loads((self.cdi / f"{VENDOR}-gdrcopy.json").read_text())
        jsonschema.validate(spec, SCHEMA)
        self.assertEqual(spec["devices"][0]["containerEdits"]["deviceNodes"], [{"path": "/dev/gdrdrv", "hostPath": "/dev/gdrdrv"}])
        # Restarted with gdrcopy disabled: its spec goes, other vendors' files stay.
        config = self.tmp / "config.yaml"
        config.write_text("version: v1\nflags: {gdrcopyEnabled: false}\n")
        plugin.stop()
        plugin = self.start("pcie-4xt4", "--device-list-strategy=cdi-cri", "--config-file", str(config))
        plugin.wait_log(r"Removed the stale CDI spec \S+-gdrcopy\.json")
        self.assertTrue((self.cdi / f"{VENDOR}-gpu.json").exists())
        self.assertTrue((self.cdi / "other-vendor.json").exists())
