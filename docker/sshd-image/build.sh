#!/usr/bin/env bash
# Builds the SSH dev host the `doctor ssh` tests run against: the bullseye test image's recipe
# (docker/test-image/debootstrap-image.sh: Debian bullseye minbase, glibc 2.31, libstdc++ of GCC 10)
# plus Debian's openssh-server. The tag carries a hash of the recipe, so an image is rebuilt only
# when it changes.
#
#   docker/sshd-image/build.sh            build unless the image exists; prints the tag
#   docker/sshd-image/build.sh --tag      print the tag only, build nothing
#   DEBIAN_MIRROR=<url> build.sh          use that mirror (debootstrap's default otherwise)
#
# The image holds no keys and no users: host keys (ssh-keygen -A), the login user and its
# authorized_keys are made by each test run when it starts a container. Needs root (debootstrap)
# and a running Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../test-image/debootstrap-image.sh
source "$here/../test-image/debootstrap-image.sh"

without_host_keys() {
  local root="$1"
  # No host keys in an image anyone could copy: each container makes its own at start.
  rm -f "$root"/etc/ssh/ssh_host_*
  # sshd refuses to start without its privilege-separation folder; Debian makes it at boot.
  mkdir -p "$root/run/sshd"
}

# doctor ssh needs only a shell, tar and gzip on the host: openssh-server is the one addition.
debootstrap_image remote-ai-test/bullseye-sshd openssh-server without_host_keys "$@"
