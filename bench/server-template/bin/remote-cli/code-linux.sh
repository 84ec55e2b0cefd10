#!/usr/bin/env sh
ROOT="$(dirname "$(dirname "$(dirname "$(readlink -f "$0")")")")"
exec "$ROOT/node" "$ROOT/out/server-cli.js" "$@"
