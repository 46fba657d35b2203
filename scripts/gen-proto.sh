#!/usr/bin/env bash
# Regenerates packages/server/src/gen/ from proto/ with the pinned
# npm-distributed toolchain (@bufbuild/buf, @bufbuild/protoc-gen-es 2.13);
# see buf.yaml / buf.gen.yaml. Needs only `npm ci`, no network.
# Usage: scripts/gen-proto.sh [--check]   (--check: fail if gen/ is stale)
set -euo pipefail
cd "$(dirname "$0")/.."

gen_dir=packages/server/src/gen

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -R "$gen_dir" "$tmp/before"
fi

npx --no-install buf lint
npx --no-install buf generate

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$tmp/before" "$gen_dir" >/dev/null; then
    echo "gen-proto: $gen_dir was stale; regenerated it, commit the result" >&2
    exit 1
  fi
fi
echo "gen-proto: $gen_dir is up to date"
