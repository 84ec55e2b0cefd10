#!/usr/bin/env bash
# The bare run doctor's boot is held to (issue 12): one `docker run --rm -i` of the boot image
# that extracts the tarball from stdin with the container's own tar into
# ~/.remote-ai-server/bin/<commit>, as the IDE's resolver does, starts the server, waits for the
# line VS Code waits for, GETs /version with the bundled node (the container has no network, so
# from inside), stops the server and exits; `--rm` removes the container before docker returns.
# The install folder is a tmpfs, as in doctor's boot, so the two differ by doctor's work only.
# Prints its phases as `phase <name> <start-ms> <end-ms>` from its own start, and `total-ms <n>`.
# Usage: plain-boot.sh <image> <tarball> <commit> <launcher, e.g. bin/code-server-oss>
set -euo pipefail
image=$1 tarball=$2 commit=$3 launcher=$4
t0=$(date +%s%N)
ms() { echo $((($1 - t0) / 1000000)); }
out=$(docker run --rm -i --label remote-ai.tool=bench --network none \
  --tmpfs /root/.remote-ai-server:rw,exec,mode=0755 -e HOME=/root -w /root "$image" sh -c '
  echo "mark started $(date +%s%N)"
  dir="$HOME/.remote-ai-server/bin/$1"; mkdir -p "$dir"
  tar -xzf - -C "$dir" --strip-components=1
  echo "mark extracted $(date +%s%N)"
  cd "$dir"
  "./$2" --host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms > /tmp/server.log 2>&1 &
  server=$!
  port=
  while [ -z "$port" ]; do
    kill -0 "$server" 2>/dev/null || { cat /tmp/server.log >&2; exit 3; }
    port=$(sed -n "s/.*Extension host agent listening on \([0-9][0-9]*\).*/\1/p" /tmp/server.log)
    [ -n "$port" ] || sleep 0.01
  done
  echo "mark listening $(date +%s%N)"
  ./node -e "require(\"http\").get(\"http://127.0.0.1:$port/version\",(r)=>{let b=\"\";r.on(\"data\",(d)=>{b+=d});r.on(\"end\",()=>{process.stdout.write(\"version \"+b+\"\\n\")})}).on(\"error\",(e)=>{console.error(e.message);process.exit(4)})"
  echo "mark probed $(date +%s%N)"
  { kill "$server"; wait "$server"; } 2>/dev/null || true
' sh "$commit" "$launcher" < "$tarball")
end=$(date +%s%N)
echo "$out" | grep -q "^version $commit\$" || { echo "GET /version did not answer $commit: $out" >&2; exit 1; }
mark() { echo "$out" | sed -n "s/^mark $1 //p"; }
started=$(mark started) extracted=$(mark extracted) listening=$(mark listening) probed=$(mark probed)
echo "phase container 0 $(ms "$started")"
echo "phase extract $(ms "$started") $(ms "$extracted")"
echo "phase server $(ms "$extracted") $(ms "$listening")"
echo "phase probe $(ms "$listening") $(ms "$probed")"
echo "phase teardown $(ms "$probed") $(ms "$end")"
echo "total-ms $(ms "$end")"
