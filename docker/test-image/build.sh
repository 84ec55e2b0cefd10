#!/usr/bin/env bash
# Builds the local Docker image the boot tests run in: Debian bullseye (glibc 2.31, libstdc++ of
# GCC 10) from Debian's own packages, because no container registry can be reached where the tests
# run. The tag carries a hash of the recipe (this script and debootstrap-image.sh beside it), so an
# image is rebuilt only when the recipe changes.
#
#   docker/test-image/build.sh            build unless the image exists; prints the tag
#   docker/test-image/build.sh --tag      print the tag only, build nothing
#   DEBIAN_MIRROR=<url> build.sh          use that mirror (debootstrap's default otherwise)
#
# Needs root (debootstrap) and a running Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=debootstrap-image.sh
source "$here/debootstrap-image.sh"

# minbase is enough for a boot: tar and gzip extract the tarball as the IDE's resolver does,
# libc6 brings the loader (ld.so --list), libc-bin brings getconf and ldconfig, apt pulls in
# libstdc++6 which the official node binaries link against. The probe uses the bundled node.
debootstrap_image remote-ai-test/bullseye '' '' "$@"
