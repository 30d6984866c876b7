"""The container images (scripts/build-image.sh), run with podman (runc, explicit ulimits,
--read-only, --cap-drop=ALL): nonroot, no shell, every program's --help and --version, the image
environment, the device plugin registering with the kubelet emulator from inside the image on the
simulated driver root; the OCI archives, their SBOMs and the binary's hardening.
Skipped where buildah, podman or root are missing."""
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import unittest

from harness import BUILD, GPU, REPO, SIM_ROOT, E2ETest, profile

VERSION = re.search(r"project\(nvdp VERSION ([0-9.]+)", (REPO / "CMakeLists.txt").read_text()).group(1)
IMAGES = {"runtime": f"localhost/nvdp:{VERSION}", "compat": f"localhost/nvdp:{VERSION}-compat",
          "fips": f"localhost/nvdp:{VERSION}-fips"}
PROGRAMS = ["nvidia-device-plugin", "gpu-feature-discovery", "config-manager", "mps-control-daemon",
            "gpu-kubelet-plugin"]
AVAILABLE = all(shutil.which(t) for t in ("buildah", "podman", "runc")) and os.geteuid() == 0


def container_env():
    """The environment scripts/container-env.sh sets up (the private image store)."""
    out = subprocess.run(["bash", "-c", f"source {REPO}/scripts/container-env.sh && env -0"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(os.environ)
    env.update(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return env


def podman(*args, check=True, timeout=60):
    result = subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def layer_files(archive_path):
    """{path: (type, bytes or link target)} of the single-layer image in an OCI archive."""
    with tarfile.open(archive_path) as archive:
        blob = lambda digest: archive.extractfile("blobs/sha256/" + digest.split(":")[1]).read()
        index = json.loads(archive.extractfile("index.json").read())
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        files = {}
        for layer in manifest["layers"]:
            data = blob(layer["digest"])
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    name = member.name.lstrip("./")
                    if member.isreg():
                        files[name] = ("file", tar.extractfile(member).read(), member)
                    elif member.issym():
                        files[name] = ("link", member.linkname, member)
                    elif member.isdir():
                        files[name] = ("dir", None, member)
        config = json.loads(blob(manifest["config"]["digest"]))
    return files, config


ENV = container_env() if AVAILABLE else None
IMAGE_DIR = REPO / "build" / "image"  # scripts/build-image.sh always uses the release build


@unittest.skipUnless(AVAILABLE, "needs buildah, podman, runc and root")
class ImageTest(E2ETest):
    @classmethod
    def setUpClass(cls):
        result = subprocess.run([str(REPO / "scripts" / "build-image.sh"), "runtime", "compat", "fips"], cwd=REPO,
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise AssertionError(f"build-image.sh failed:\n{result.stderr}")

    def run_image(self, image, *args, entrypoint=None):
        extra = ["--entrypoint", entrypoint] if entrypoint else []
        return podman("run", "--rm", "--read-only", "--cap-drop=ALL", "--network", "none", *extra, image, *args,
                      check=False)

    def test_runtime_image_holds_only_the_programs_and_their_runtime(self):
        files, config = layer_files(IMAGE_DIR / f"nvdp-{VERSION}.oci.tar")
        self.assertEqual(config["config"]["User"], "65532:65532")
        self.assertEqual(config["config"]["Entrypoint"], ["nvidia-device-plugin"])
        for variable in ("NVIDIA_DISABLE_REQUIRE=true", "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
                         "NVIDIA_VISIBLE_DEVICES=all"):
            self.assertIn(variable, config["config"]["Env"])
        labels = config["config"]["Labels"]
        self.assertEqual(labels["org.opencontainers.image.version"], VERSION)
        self.assertEqual(labels["org.opencontainers.image.licenses"], "Apache-2.0")
        for key in ("org.opencontainers.image.revision", "org.opencontainers.image.source"):
            self.assertIn(key, labels)
        regular = sorted(name for name, (kind, _, _) in files.items() if kind == "file")
        self.assertEqual([n for n in regular if not re.match(r"(usr/)?lib(64|/x86_64-linux-gnu)/", n)],
                         ["etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt", "usr/bin/nvdp"])
        for program in PROGRAMS:
            self.assertEqual(files[f"usr/bin/{program}"][:2], ("link", "nvdp"))
            self.assertEqual(files[f"usr/local/bin/{program}"][:2], ("link", f"/usr/bin/{program}"))
        for absent in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/apt", "usr/bin/dpkg", "usr/bin/env"):
            self.assertNotIn(absent, files)
        self.assertIn(b"nonroot:x:65532:65532:", files["etc/passwd"][1])
        self.assertEqual(files["tmp"][2].mode & 0o7777, 0o1777)
        size = sum(len(data) for kind, data, _ in files.values() if kind == "file")
        self.assertLessEqual(size, 20 * 1000 * 1000, f"{size} bytes")

    def test_sbom_lists_every_file_with_its_source(self):
        files, _ = layer_files(IMAGE_DIR / f"nvdp-{VERSION}.oci.tar")
        sbom = json.loads((IMAGE_DIR / f"nvdp-{VERSION}.spdx.json").read_text())
        self.assertEqual(sbom["spdxVersion"], "SPDX-2.3")
        by_name = {f["fileName"][2:]: f for f in sbom["files"]}
        owners = {r["relatedSpdxElement"]: r["spdxElementId"] for r in sbom["relationships"]
                  if r["relationshipType"] == "CONTAINS"}
        packages = {p["SPDXID"]: p for p in sbom["packages"]}
        for name, (kind, data, _) in files.items():
            if kind == "dir":
                continue
            self.assertIn(name, by_name)
            entry = by_name[name]
            digest = hashlib.sha256(data if kind == "file" else data.encode()).hexdigest()
            self.assertIn({"algorithm": "SHA256", "checksumValue": digest}, entry["checksums"])
            owner = packages[owners[entry["SPDXID"]]]
            self.assertNotEqual(owner["SPDXID"], "SPDXRef-Image", f"{name} has no source")
            if name.startswith("lib"):
                self.assertEqual(owner["name"], "libc6")
                self.assertRegex(owner["externalRefs"][0]["referenceLocator"], r"^pkg:deb/debian/libc6@")
        self.assertEqual(packages[owners[by_name["usr/bin/nvdp"]["SPDXID"]]]["versionInfo"], VERSION)
        static = [r["relatedSpdxElement"] for r in sbom["relationships"] if r["relationshipType"] == "STATIC_LINK"]
        self.assertIn("SPDXRef-Package-deb-libgrpc-dev", static)

    def test_binary_hardening(self):
        files, _ = layer_files(IMAGE_DIR / f"nvdp-{VERSION}.oci.tar")
        binary = self.tmp / "nvdp"
        binary.write_bytes(files["usr/bin/nvdp"][1])
        result = subprocess.run([str(REPO / "deployments" / "container" / "check-hardening.sh"), str(binary)],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout)
        for line in ("PIE", "RELRO", "BIND_NOW", "NX stack", "stack protector", "_FORTIFY_SOURCE"):
            self.assertRegex(result.stdout, rf"(?m)^{re.escape(line)}\s+yes")

    def test_no_shell(self):
        result = self.run_image(IMAGES["runtime"], "-c", "true", entrypoint="/bin/sh")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("/bin/sh", result.stderr)
        self.assertRegex(result.stderr, "no such file|not found")

    def test_every_program_answers_help_and_version(self):
        for variant in ("runtime", "fips"):
            for program in PROGRAMS:
                with self.subTest(variant=variant, program=program):
                    version = self.run_image(IMAGES[variant], "--version", entrypoint=program)
                    self.assertEqual(version.returncode, 0, version.stderr)
                    self.assertTrue(version.stdout.startswith(VERSION + "\n"), version.stdout)
                    help_text = self.run_image(IMAGES[variant], "--help", entrypoint=program)
                    self.assertEqual(help_text.returncode, 0, help_text.stderr)
                    self.assertIn(program, help_text.stdout)

    def test_fips_image_carries_the_fips_build(self):
        default, _ = layer_files(IMAGE_DIR / f"nvdp-{VERSION}.oci.tar")
        fips, config = layer_files(IMAGE_DIR / f"nvdp-{VERSION}-fips.oci.tar")
        self.assertEqual(config["config"]["User"], "65532:65532")
        # Each image holds its own build, stripped as stage-rootfs.sh does (the two differ only in
        # tls_policy_fips.cc, whose strings the compiler stores as scattered 16-byte constants).
        def stripped(binary):
            with tempfile.TemporaryDirectory() as work:
                out = os.path.join(work, "nvdp")
                subprocess.run(["strip", "--strip-unneeded", "-o", out, str(BUILD / "bin" / binary)], check=True)
                with open(out, "rb") as f:
                    return f.read()
        self.assertEqual(fips["usr/bin/nvdp"][1], stripped("nvdp-fips"))
        self.assertEqual(default["usr/bin/nvdp"][1], stripped("nvdp"))
        self.assertNotEqual(fips["usr/bin/nvdp"][1], default["usr/bin/nvdp"][1])

    def serve(self, image, nonroot):
        dp = self.plugin_dir
        emulator = self.emulator()
        if nonroot:  # what a nonroot plugin needs from the host (docs/deployment.md)
            os.chown(dp, 65532, 65532)
            os.chmod(dp / "kubelet.sock", 0o666)
        name = f"nvdp-test-{os.getpid()}-{time.monotonic_ns()}"
        podman("run", "-d", "--name", name, "--read-only", "--cap-drop=ALL", "--network", "none",
               "-v", f"{dp}:/var/lib/kubelet/device-plugins", "-v", f"{SIM_ROOT}:/driver-root:ro",
               "-e", "NVML_SIM_PROFILE=pcie-4xt4", image)
        self._stops.append(lambda: podman("rm", "-f", "-t", "5", name, check=False))
        return emulator, name

    def check_serving(self, emulator, name, uid):
        self.assertReplyOk(emulator.send(f"wait devices {GPU} 4", timeout=30))
        self.assertEqual((self.plugin_dir / "nvidia-gpu.sock").stat().st_uid, uid)
        uuid = profile("pcie-4xt4")["gpus"][2]["uuid"]
        response = self.assertReplyOk(emulator.send(f"allocate {GPU} {uuid}"))["response"]
        self.assertEqual(response["envs"]["NVIDIA_VISIBLE_DEVICES"], uuid)
        started = time.monotonic()
        podman("stop", "-t", "10", name)
        self.assertLess(time.monotonic() - started, 8)  # SIGTERM handled as PID 1, not SIGKILL
        self.assertFalse((self.plugin_dir / "nvidia-gpu.sock").exists())
        logs = podman("logs", name).stderr + podman("logs", name).stdout
        self.assertIn("Registered device plugin for 'nvidia.com/gpu' with Kubelet", logs)

    def test_runtime_image_registers_as_nonroot(self):
        emulator, name = self.serve(IMAGES["runtime"], nonroot=True)
        self.check_serving(emulator, name, 65532)

    def test_compat_image_registers_as_root(self):
        emulator, name = self.serve(IMAGES["compat"], nonroot=False)
        self.check_serving(emulator, name, 0)

    def test_runtime_image_in_a_root_owned_directory_exits_with_the_way_out(self):
        # Upstream's chart runs its image as root; ours as 65532 in that chart cannot create the
        # socket. It must stop with the fix named, not retry in a loop that looks alive.
        os.chmod(self.plugin_dir, 0o755)
        _, name = self.serve(IMAGES["runtime"], nonroot=False)
        waited = podman("wait", name, timeout=30)
        self.assertEqual(waited.stdout.strip(), "1")
        logs = podman("logs", name).stderr + podman("logs", name).stdout
        self.assertIn("cannot create the plugin socket /var/lib/kubelet/device-plugins/nvidia-gpu.sock: "
                      "Permission denied", logs)
        self.assertIn("running as uid 65532 (gid 65532)", logs)
        self.assertIn("use the -compat image, or run this one as root (podSecurityContext.runAsUser=0)", logs)
