#!/usr/bin/env bash
# Release every @reprise package: build, run the package checks, then
# `pnpm publish -r`, which replaces `workspace:` ranges with the versions
# being published (`workspace:^` becomes `^x.y.z`).
#
#   pnpm release              # dry run: shows what would be published
#   pnpm release --publish    # publishes (needs npm credentials; run on a clean main)
set -euo pipefail
cd "$(dirname "$0")/.."

publish_args=(--dry-run --no-git-checks)
for arg in "$@"; do
  case "$arg" in
    --publish) publish_args=() ;;
    --dry-run) ;;
    *) echo "usage: scripts/release.sh [--dry-run | --publish]" >&2; exit 2 ;;
  esac
done

if command -v pnpm >/dev/null 2>&1; then pnpm=(pnpm); else pnpm=(npx --yes pnpm@10); fi
"${pnpm[@]}" build
bash scripts/check-packages.sh
# -r publishes every non-private package (examples and benchmarks are private) whose version is not on the registry yet.
"${pnpm[@]}" publish -r --access public "${publish_args[@]}"
