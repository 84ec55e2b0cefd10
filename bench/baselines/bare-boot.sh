#!/usr/bin/env bash
# The server's own start-up without doctor: a bare `docker run` of the test image that extracts
# the tarball the way the IDE's installer does and starts the server, until it prints the line
# VS Code waits for. doctor's boot overhead is its time minus this one. Prints
# `ready-ms <n>`: milliseconds to that line, not counting the container's removal afterwards.
# It extracts into a tmpfs, as doctor does, so the difference is doctor's work, not the disk's.
# Usage: bare-boot.sh <image> <tarball> <top-level folder in the tarball>
set -euo pipefail
image=$1
tarball=$2
top=$3
name="remote-ai-bench-$$"
start_ns=$(date +%s%N)
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
# The loop ends the wait as soon as the line shows; the trap then removes the container, which
# ends `docker run` (a plain pipeline would wait for the server to exit).
while IFS= read -r line; do
  case "$line" in
    *"Extension host agent listening on"*) echo "ready-ms $((($(date +%s%N) - start_ns) / 1000000))"; exit 0 ;;
  esac
done < <(docker run -i --name "$name" --label remote-ai.tool=bench --network none --tmpfs /srv:rw,exec "$image" \
  sh -c "mkdir -p /srv && tar -xzf - -C /srv && exec /srv/$top/bin/code-server-oss --host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms" \
  < "$tarball")
echo "the server exited without printing its listening line" >&2
exit 1
