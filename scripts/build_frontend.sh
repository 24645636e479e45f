#!/usr/bin/env bash
# Build the browser app for `make run` without ever leaving a half-built one in place: vite builds
# into a folder of its own under visualizer/dist-builds/, then visualizer/dist (a link) is pointed
# at it in one rename, so a server already running answers from the old build or the new one,
# never from neither. A build whose sources are unchanged since the one in place is skipped.
set -euo pipefail
cd "$(dirname "$0")/../visualizer"
stamp=$(
  { cat package.json package-lock.json index.html vite.config.ts tsconfig.json
    find src -type f -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16
)
if [ -f dist/.source-stamp ] && [ "$(cat dist/.source-stamp)" = "$stamp" ]; then
  echo "visualizer/dist is up to date ($stamp)"
  exit 0
fi
mkdir -p dist-builds
out="dist-builds/$stamp-$$"
npm run build -- --outDir "$out" --emptyOutDir
echo "$stamp" > "$out/.source-stamp"
if [ -d dist ] && [ ! -L dist ]; then
  # A folder from a build made in place before: moved aside once, then links only.
  mv dist "dist-builds/in-place-$$"
fi
ln -sfn "$out" "dist.next-$$"
mv -T "dist.next-$$" dist
# Builds an hour old that are not in place go (pages loaded from them had time to reload).
current=$(readlink dist)
find dist-builds -mindepth 1 -maxdepth 1 -mmin +60 ! -path "$current" -exec rm -rf {} +
