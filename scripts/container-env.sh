# Sourced by scripts/build-image.sh and the image tests: a private buildah/podman store under
# build/containers (vfs, usable without overlay support) and podman settings that work on the
# project's machines (runc, explicit ulimits, cgroupfs; see docs/image.md).
_nvdp_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_nvdp_store=$_nvdp_root/build/containers
mkdir -p "$_nvdp_store"
cat > "$_nvdp_store/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$_nvdp_store/graph"
runroot = "$_nvdp_store/run"
CONF
cat > "$_nvdp_store/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_STORAGE_CONF=$_nvdp_store/storage.conf
export CONTAINERS_CONF=$_nvdp_store/containers.conf
