#!/usr/bin/env bash
# Builds the container images from deployments/container/Dockerfile with buildah (vfs storage,
# chroot isolation, nothing pulled) and writes OCI archives and SPDX SBOMs under build/image/.
#   scripts/build-image.sh                          every variant: runtime compat fips dev
#   scripts/build-image.sh runtime compat fips      only these (the image tests build these three)
# The scratch variants get their files from this machine's release build (staged by
# deployments/container/stage-rootfs.sh and passed as the Dockerfile's `build` stage); the dev
# variant runs the Dockerfile's build stage for real, on a Debian 12 base made with debootstrap.
# Images land in a private store (build/containers) that the tests' podman uses too.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(runtime compat fips dev)
version=$(sed -n 's/^project(nvdp VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "")
out=build/image
mkdir -p "$out"

source scripts/container-env.sh  # CONTAINERS_STORAGE_CONF, CONTAINERS_CONF under build/containers
B=(buildah --storage-driver vfs)

tag_of() {
  case $1 in
    runtime) echo "$version" ;;
    *) echo "$version-$1" ;;
  esac
}

echo "build-image: release build of nvdp and nvdp-fips" >&2
cmake --preset release >/dev/null
cmake --build --preset release --target nvdp nvdp-fips >/dev/null
# The hardening the image promises, checked on what goes into it.
for flag in -fstack-protector-strong -fstack-clash-protection -fcf-protection -D_FORTIFY_SOURCE=2; do
  grep -q -- "$flag" build/compile_commands.json ||
    { echo "build-image: the release build lacks $flag" >&2; exit 1; }
done
for binary in build/bin/nvdp build/bin/nvdp-fips; do
  deployments/container/check-hardening.sh "$binary" >"$out/hardening-$(basename "$binary").txt" ||
    { cat "$out/hardening-$(basename "$binary").txt" >&2; exit 1; }
done
rm -rf "$out/context"
deployments/container/stage-rootfs.sh build "$out/context/out" >/dev/null

for variant in "${variants[@]}"; do
  tag=$(tag_of "$variant")
  image=localhost/nvdp:$tag
  args=(--isolation chroot -f deployments/container/Dockerfile --target "$variant"
        --build-arg "VERSION=$version" --build-arg "REVISION=$revision" -t "$image")
  if [ "$variant" = dev ]; then
    base=localhost/nvdp-debian:12
    if ! "${B[@]}" images --quiet "$base" >/dev/null 2>&1; then
      echo "build-image: making the Debian 12 base image $base with debootstrap" >&2
      rm -rf build/debian-rootfs
      debootstrap --variant=minbase bookworm build/debian-rootfs http://deb.debian.org/debian >/dev/null
      tar -C build/debian-rootfs -c . | podman import - "$base" >/dev/null
      rm -rf build/debian-rootfs
    fi
    args+=(--build-arg "BUILDER=$base")
  else
    args+=(--build-context "build=$root/$out/context")
  fi
  echo "build-image: $image" >&2
  "${B[@]}" bud "${args[@]}" . >"$out/build-$variant.log" 2>&1 ||
    { tail -30 "$out/build-$variant.log" >&2; exit 1; }
  archive=$out/nvdp-$tag.oci.tar
  rm -f "$archive"
  "${B[@]}" push "$image" "oci-archive:$archive:nvdp:$tag" >/dev/null 2>&1
  # The SBOM from the image's own files: mount a container of it.
  container=$("${B[@]}" from "$image")
  mount=$("${B[@]}" mount "$container")
  dpkg_root=/
  [ -d "$mount/var/lib/dpkg" ] && dpkg_root=$mount
  /usr/bin/python3 deployments/container/sbom.py --rootfs "$mount" --image "nvdp:$tag" \
    --version "$version" --dpkg-root "$dpkg_root" -o "$out/nvdp-$tag.spdx.json"
  "${B[@]}" umount "$container" >/dev/null
  "${B[@]}" rm "$container" >/dev/null
done

echo "build-image: images (uncompressed size) and archives in $out:" >&2
for variant in "${variants[@]}"; do
  tag=$(tag_of "$variant")
  size=$("${B[@]}" inspect --format '{{.FromImageID}}' "localhost/nvdp:$tag" >/dev/null 2>&1 &&
         "${B[@]}" images --format '{{.Size}}' "localhost/nvdp:$tag" | head -1)
  printf '  nvdp:%-16s %10s  %s\n' "$tag" "$size" "$(du -h "$out/nvdp-$tag.oci.tar" | cut -f1) archive" >&2
done
