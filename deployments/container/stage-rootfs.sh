#!/bin/sh
# Stages the root filesystems of the scratch-based images from a release build:
#   stage-rootfs.sh <build dir> <out dir>
# writes <out>/default/rootfs (runtime and compat variants) and <out>/fips/rootfs (FIPS variant):
# the multi-call binary as /usr/bin/nvdp with the four program names linked to it (also under
# /usr/local/bin), the glibc files it and a dlopened NVML need, CA certificates, /etc/passwd and
# /etc/group with nonroot 65532, and a writable /tmp. Nothing else: no shell, no package manager.
# Runs in the Dockerfile's build stage and, for local image builds, on the build machine.
set -eu

build=$1
out=$2
programs="nvidia-device-plugin gpu-feature-discovery config-manager mps-control-daemon gpu-kubelet-plugin"
# glibc's libraries that NVIDIA's libnvidia-ml.so.1 and the driver libraries are linked against,
# beside the ones nvdp needs itself.
glibc_extra="libpthread.so.0 libdl.so.2 librt.so.1"

stage() {
  binary=$1
  root=$2
  rm -rf "$root"
  mkdir -p "$root/usr/bin" "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/usr/lib/ssl" "$root/tmp"
  strip --strip-unneeded -o "$root/usr/bin/nvdp" "$binary"
  chmod 0755 "$root/usr/bin/nvdp"
  for program in $programs; do
    ln -s nvdp "$root/usr/bin/$program"
    ln -s "/usr/bin/$program" "$root/usr/local/bin/$program"
  done
  # The dynamic loader and libraries at the paths ldd reports (e.g. /lib64/ld-linux-x86-64.so.2).
  libdir=$(dirname "$(ldd "$binary" | awk '$1 ~ /^libc\.so/ {print $3}')")
  for path in $(ldd "$binary" | awk '$1 ~ /^\// {print $1} $3 ~ /^\// {print $3}') \
              $(for lib in $glibc_extra; do [ -e "$libdir/$lib" ] && echo "$libdir/$lib"; done); do
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
  done
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  ln -s /etc/ssl/certs/ca-certificates.crt "$root/usr/lib/ssl/cert.pem"  # OpenSSL's default file
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    > "$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
  chmod 1777 "$root/tmp"
}

stage "$build/bin/nvdp" "$out/default/rootfs"
stage "$build/bin/nvdp-fips" "$out/fips/rootfs"
echo "staged $out/default/rootfs and $out/fips/rootfs"
