#!/usr/bin/env bash
# Builds the SSH dev host the `doctor ssh` tests run against: the bullseye test image's recipe
# (Debian bullseye minbase: glibc 2.31, libstdc++ of GCC 10) plus Debian's openssh-server, from
# Debian's own packages, because no container registry can be reached where the tests run. The
# tag carries a hash of this script, so an image is rebuilt only when the recipe changes.
#
#   docker/sshd-image/build.sh            build unless the image exists; prints the tag
#   DEBIAN_MIRROR=<url> build.sh          use that mirror (debootstrap's default otherwise)
#
# The image holds no keys and no users: host keys (ssh-keygen -A), the login user and its
# authorized_keys are made by each test run when it starts a container. Needs root (debootstrap)
# and a running Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hash="$(sha256sum "$here/build.sh" | cut -c1-12)"
tag="remote-ai-test/bullseye-sshd:$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends debootstrap >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends debootstrap >&2; }
fi

root="$(mktemp -d /tmp/remote-ai-bullseye-sshd.XXXXXX)"
trap 'rm -rf "$root"' EXIT

# As docker/test-image (tar, gzip, libc6 with the loader, libc-bin, libstdc++6), plus
# openssh-server for the login and its sftp/scp-less use: doctor ssh needs only a shell.
args=(--variant=minbase --include=openssh-server bullseye "$root")
if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
  args+=("$DEBIAN_MIRROR")
fi
debootstrap "${args[@]}" >&2

# No host keys in an image anyone could copy: each container makes its own at start.
rm -f "$root"/etc/ssh/ssh_host_*
# sshd refuses to start without its privilege-separation folder; Debian makes it at boot.
mkdir -p "$root/run/sshd"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar --numeric-owner -C "$root" -c . | docker import \
  --change 'CMD ["/bin/sh"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --message "debootstrap --variant=minbase --include=openssh-server bullseye" - "$tag" >&2
echo "$tag"
