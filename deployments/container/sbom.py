#!/usr/bin/python3
"""Writes an SPDX 2.3 JSON SBOM of an image's root filesystem: every file with its checksums and
the package it comes from: a Debian package (name, version, purl; from the dpkg database that
installed it) or this project (the nvdp binary, with the Debian packages whose static libraries
are linked into it, and the files the staging script writes).

  sbom.py --rootfs DIR --image NAME:TAG --version V [--dpkg-root /] -o OUT.json
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import subprocess
import uuid

# Debian packages whose static archives (or headers) end up inside nvdp.
STATIC_COMPONENTS = ["libgrpc-dev", "libgrpc++-dev", "libprotobuf-dev", "libabsl-dev", "libc-ares-dev",
                     "libre2-dev", "zlib1g-dev", "libssl-dev", "libyaml-dev", "libstdc++-12-dev",
                     "libgcc-12-dev", "libboost-dev", "nlohmann-json3-dev", "libspdlog-dev", "libfmt-dev"]
# Files the project's staging script writes; everything else in a scratch image is copied from a
# Debian package.
PROJECT_FILES = {"etc/passwd", "etc/group", "usr/lib/ssl/cert.pem", "tmp"}
# The dev image's sources, build tree and staged files.
PROJECT_DIRS = ("src/", "build/", "out/")
GENERATED_BY = {"etc/ssl/certs/ca-certificates.crt": "ca-certificates"}


def dpkg_owners(dpkg_root):
    """path -> package, from the .list files of a dpkg database."""
    owners = {}
    for listing in glob.glob(os.path.join(dpkg_root, "var/lib/dpkg/info/*.list")):
        package = os.path.basename(listing)[:-len(".list")].split(":")[0]
        with open(listing, errors="replace") as f:
            for line in f:
                path = line.strip().lstrip("/")
                if path:
                    owners.setdefault(path, package)
    return owners


def dpkg_versions(dpkg_root):
    """package -> (version, architecture), from the dpkg status file."""
    versions, package, version, arch = {}, None, None, None
    status = os.path.join(dpkg_root, "var/lib/dpkg/status")
    if not os.path.exists(status):
        return versions
    with open(status, errors="replace") as f:
        for line in f.read().split("\n") + [""]:
            if line.startswith("Package: "):
                package = line[9:].strip()
            elif line.startswith("Version: "):
                version = line[9:].strip()
            elif line.startswith("Architecture: "):
                arch = line[14:].strip()
            elif not line.strip():
                if package and version:
                    versions[package] = (version, arch)
                package = version = arch = None
    return versions


def checksums(path):
    if os.path.islink(path):
        data = os.readlink(path).encode()
    elif os.path.isfile(path):
        with open(path, "rb") as f:
            data = f.read()
    else:
        data = b""
    return [{"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},
            {"algorithm": "SHA256", "checksumValue": hashlib.sha256(data).hexdigest()}]


def spdx_id(kind, name):
    return "SPDXRef-" + kind + "-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rootfs", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--dpkg-root", default="/")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()

    owners = dpkg_owners(args.dpkg_root)
    versions = dpkg_versions(args.dpkg_root)
    project_id = "SPDXRef-Package-nvdp"
    image_id = "SPDXRef-Image"
    packages = {project_id: {
        "SPDXID": project_id, "name": "nvdp", "versionInfo": args.version,
        "supplier": "Organization: nvdp project", "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "Apache-2.0", "licenseDeclared": "Apache-2.0", "copyrightText": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": f"pkg:generic/nvdp@{args.version}"}]}}
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": image_id}]

    def debian_package(name):
        package_id = spdx_id("Package-deb", name)
        if package_id not in packages:
            version, arch = versions.get(name, ("NOASSERTION", "all"))
            packages[package_id] = {
                "SPDXID": package_id, "name": name, "versionInfo": version, "supplier": "Organization: Debian",
                "downloadLocation": "NOASSERTION", "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                  "referenceLocator": f"pkg:deb/debian/{name}@{version}?arch={arch}&distro=debian-12"}]}
        return package_id

    files = []
    for directory, dirs, names in os.walk(args.rootfs):
        dirs.sort()
        for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(directory, d))]):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, args.rootfs)
            if relative.startswith(("proc/", "sys/", "dev/")):
                continue
            if relative in owners:
                owner = debian_package(owners[relative])
            elif relative in GENERATED_BY:
                owner = debian_package(GENERATED_BY[relative])
            elif (relative in PROJECT_FILES or relative.startswith(PROJECT_DIRS) or
                  (relative.startswith(("usr/bin/", "usr/local/bin/")) and
                   os.path.basename(relative) in ("nvdp", "nvidia-device-plugin", "gpu-feature-discovery",
                                                  "config-manager", "mps-control-daemon",
                                                  "gpu-kubelet-plugin"))):
                owner = project_id
            else:
                owner = None
            file_id = spdx_id("File", relative)
            files.append({"SPDXID": file_id, "fileName": "./" + relative, "checksums": checksums(path),
                          "fileTypes": ["BINARY" if os.access(path, os.X_OK) and not os.path.islink(path)
                                        else "OTHER"],
                          "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION",
                          "comment": "from " + (packages[owner]["name"] + " " + packages[owner]["versionInfo"]
                                                if owner else "no known package")})
            relationships.append({"spdxElementId": owner or image_id, "relationshipType": "CONTAINS",
                                  "relatedSpdxElement": file_id})
    if os.path.exists(os.path.join(args.rootfs, "usr/bin/nvdp")):
        for name in STATIC_COMPONENTS:
            if name in versions:
                relationships.append({"spdxElementId": project_id, "relationshipType": "STATIC_LINK",
                                      "relatedSpdxElement": debian_package(name)})
    for package_id in packages:
        relationships.append({"spdxElementId": image_id, "relationshipType": "CONTAINS",
                              "relatedSpdxElement": package_id})
    image_name, _, tag = args.image.partition(":")
    image = {"SPDXID": image_id, "name": image_name, "versionInfo": tag or args.version,
             "supplier": "Organization: nvdp project", "downloadLocation": "NOASSERTION", "filesAnalyzed": True,
             "primaryPackagePurpose": "CONTAINER", "licenseConcluded": "NOASSERTION",
             "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
             "hasFiles": [f["SPDXID"] for f in files],
             "packageVerificationCode": {"packageVerificationCodeValue": hashlib.sha1("".join(
                 sorted(f["checksums"][0]["checksumValue"] for f in files)).encode()).hexdigest()}}
    document = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": args.image, "documentNamespace": f"https://nvdp.invalid/spdx/{args.image}/{uuid.uuid4()}",
        "creationInfo": {"created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "creators": ["Tool: nvdp deployments/container/sbom.py"]},
        "packages": [image] + list(packages.values()), "files": files, "relationships": relationships}
    with open(args.output, "w") as out:
        json.dump(document, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
