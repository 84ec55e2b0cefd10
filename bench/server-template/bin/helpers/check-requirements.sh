#!/usr/bin/env sh
# Placeholder for Code-OSS's host check; the benchmark tree only needs the file to exist.
exit 0
