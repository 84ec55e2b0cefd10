# Sourced by docker/test-image/build.sh and docker/sshd-image/build.sh: the one recipe for a Debian
# bullseye image made from Debian's own packages (debootstrap, then `docker import`), because no
# container registry can be reached where the tests run.
#
#   debootstrap_image REPO INCLUDE HOOK [--tag]
#
# REPO is the image name; its tag is a hash of the calling script and of this file, so an image is
# rebuilt only when its recipe changes. INCLUDE is a comma list of extra packages (may be empty).
# HOOK names a function run with the root folder before the import (may be empty). Prints the tag
# on stdout, everything else on stderr; with --tag it only prints the tag (what tests and the bench
# ask for: the tag rule lives here alone). DEBIAN_MIRROR=<url> picks a mirror (debootstrap's default
# otherwise). Needs root (debootstrap) and a running Docker engine.
debootstrap_image() {
  local repo="$1" include="$2" hook="$3" mode="${4:-}"
  local hash tag root
  hash="$(cat "${BASH_SOURCE[1]}" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
  tag="$repo:$hash"
  case "$mode" in
    '') ;;
    --tag) echo "$tag"; return 0 ;;
    *) echo "usage: $(basename "${BASH_SOURCE[1]}") [--tag]" >&2; return 2 ;;
  esac

  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    return 0
  fi

  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends debootstrap >&2 \
      || { apt-get update >&2 && apt-get install -y --no-install-recommends debootstrap >&2; }
  fi

  root="$(mktemp -d "/tmp/remote-ai-${repo##*/}.XXXXXX")"
  # Expanded now: the function's locals are gone when the shell exits.
  trap "rm -rf '$root'" EXIT

  local args=(--variant=minbase)
  if [[ -n "$include" ]]; then
    args+=("--include=$include")
  fi
  args+=(bullseye "$root")
  if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
    args+=("$DEBIAN_MIRROR")
  fi
  debootstrap "${args[@]}" >&2

  if [[ -n "$hook" ]]; then
    "$hook" "$root"
  fi
  # Package caches and lists are of no use in a test image and only make the import slower.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

  tar --numeric-owner -C "$root" -c . | docker import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "debootstrap --variant=minbase${include:+ --include=$include} bullseye" - "$tag" >&2
  echo "$tag"
}
