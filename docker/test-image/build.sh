#!/usr/bin/env bash
# Builds the local Docker image the boot tests run in: Debian bullseye (glibc 2.31, libstdc++ of
# GCC 10) from Debian's own packages, because no container registry can be reached where the tests
# run. The tag carries a hash of this script, so an image is rebuilt only when the recipe changes.
#
#   docker/test-image/build.sh            build unless the image exists; prints the tag
#   DEBIAN_MIRROR=<url> build.sh          use that mirror (debootstrap's default otherwise)
#
# Needs root (debootstrap) and a running Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hash="$(sha256sum "$here/build.sh" | cut -c1-12)"
tag="remote-ai-test/bullseye:$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends debootstrap >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends debootstrap >&2; }
fi

root="$(mktemp -d /tmp/remote-ai-bullseye.XXXXXX)"
trap 'rm -rf "$root"' EXIT

# minbase is enough for a boot: tar and gzip extract the tarball as the IDE's resolver does,
# libc6 brings the loader (ld.so --list), libc-bin brings getconf and ldconfig, apt pulls in
# libstdc++6 which the official node binaries link against. The probe uses the bundled node.
args=(--variant=minbase bullseye "$root")
if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
  args+=("$DEBIAN_MIRROR")
fi
debootstrap "${args[@]}" >&2

# Package caches and lists are of no use in a test image and only make the import slower.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar --numeric-owner -C "$root" -c . | docker import \
  --change 'CMD ["/bin/sh"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --message "debootstrap --variant=minbase bullseye" - "$tag" >&2
echo "$tag"
