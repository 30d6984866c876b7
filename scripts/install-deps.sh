#!/usr/bin/env bash
# Installs the Debian 12 packages this project builds and tests with. Idempotent: when every
# package is already installed it returns at once without touching apt.
#   scripts/install-deps.sh             install what is missing
#   scripts/install-deps.sh --check     exit 1 (and list them) when something is missing
#   scripts/install-deps.sh --no-tools  only what building needs (the image's build stage): no
#                                       container tools, no helm/kubectl
set -euo pipefail
mode=${1:-}
here=$(cd "$(dirname "$0")" && pwd)

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make git clang-format clang-tidy
  # the release link: lld, for the hot-function layout (cmake/hot-functions.txt)
  lld
  # fuzzing (make fuzz, the fuzz smoke of make test): clang with libFuzzer and the sanitizers
  clang-16 libclang-rt-16-dev
  # gRPC + protobuf (kubelet device plugin API)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # libraries
  libyaml-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  # NVIDIA's PCI device names, embedded for gpu-feature-discovery's vfio mode
  pci.ids
  # HTTPS to the Kubernetes API: Boost.Beast (header-only) over OpenSSL (linked statically)
  libboost-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-grpcio python3-grpc-tools
  python3-jsonschema python3-yaml
  # instruction counts of the preferred-allocation benchmark (make bench): callgrind
  valgrind
  procps util-linux ca-certificates
)
if [ "$mode" != "--no-tools" ]; then
  # images (make image, the image tests): build, run, a Debian base for the dev variant
  packages+=(buildah podman runc debootstrap)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

fetch_tools() {
  [ "$mode" = "--no-tools" ] || /usr/bin/python3 "$here/fetch-k8s-tools.py"
}

if [ ${#missing[@]} -eq 0 ]; then
  [ "$mode" = "--check" ] || fetch_tools
  exit 0
fi
if [ "$mode" = "--check" ]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
fetch_tools
