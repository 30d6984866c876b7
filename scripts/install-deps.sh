#!/usr/bin/env bash
# Installs the Debian 12 packages this project builds and tests with. Idempotent: when every
# package is already installed it returns at once without touching apt.
#   scripts/install-deps.sh          install what is missing
#   scripts/install-deps.sh --check  exit 1 (and list them) when something is missing
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config make git clang-format
  # gRPC + protobuf (kubelet device plugin API)
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # libraries
  libyaml-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  # HTTPS to the Kubernetes API: Boost.Beast (header-only) over OpenSSL (linked statically)
  libboost-dev libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-grpcio python3-grpc-tools
  python3-jsonschema
  procps util-linux
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
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
