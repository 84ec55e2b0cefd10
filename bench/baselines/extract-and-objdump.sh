#!/usr/bin/env bash
# What a user does today to check a server tarball: extract it, find the ELF files, and run the
# objdump idiom on each. Kept fair: one find, one grep over all files for the ELF magic (no
# process per file for the magic check), then the idiom per ELF file as the user runs it.
# Usage: extract-and-objdump.sh <tarball> <empty dest folder>
set -euo pipefail
export LC_ALL=C
tarball=$1
dest=$2
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest"
# xargs exits 123 when one grep batch has no ELF file at all: that is not a failure.
find "$dest" -type f -size +51c -print0 |
  { xargs -0 -r grep -l -m1 -P '\A\x7fELF' || [ $? -eq 123 ]; } |
  while IFS= read -r f; do
    printf '%s\t%s\n' "$(objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)" "$f"
  done
