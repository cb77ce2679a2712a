#!/usr/bin/env bash
# Lint every publishable package as it will be published: pack it with pnpm
# (which resolves `workspace:` ranges, as `pnpm publish` does), then run
# publint --strict and arethetypeswrong on that tarball. Run after a build
# (`pnpm check:packages` builds first).
#
# attw uses the node16 profile: node10 resolution (no `exports` support)
# cannot see subpath entries such as `@reprise/core/internal`, and Node 20+
# is the only supported runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PWD/node_modules/.bin:$PATH"
if command -v pnpm >/dev/null 2>&1; then pnpm=(pnpm); else pnpm=(npx --yes pnpm@10); fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

failed=0
for dir in packages/*/; do
  name="$(node -p "require('./${dir}package.json').name")"
  echo "[check] $name"
  if ! cmp -s LICENSE "${dir}LICENSE"; then
    echo "[check] ${dir}LICENSE is missing or differs from the root LICENSE" >&2
    failed=1
  fi
  tarball="$(cd "$dir" && "${pnpm[@]}" pack --pack-destination "$out" 2>/dev/null | tail -n 1)"
  case "$tarball" in /*) ;; *) tarball="$out/$(basename "$tarball")" ;; esac
  if tar -xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "[check] $name: the packed package.json still has a workspace: range" >&2
    failed=1
  fi
  publint run --strict "$tarball" || failed=1
  # Every package ships its own types: no DefinitelyTyped look-ups.
  attw --profile node16 --no-definitely-typed --format table-flipped "$tarball" || failed=1
done
exit "$failed"
