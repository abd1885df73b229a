#!/usr/bin/env bash
# Copies the console's third-party files out of node_modules (filled by `npm ci`
# from package-lock.json) into app/console/static/vendor/, which git ignores and
# the wheel carries (pyproject.toml, `artifacts`). Only the built files the pages
# load, with each package's licence, and nothing from devDependencies: axe-core
# stays in node_modules, where the browser tests read it.
#
#   scripts/vendor-assets.sh        after `npm ci` in the repository root
#
# `make install` and the Dockerfile's asset stage both run it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
modules="$root/node_modules"
vendor="$root/app/console/static/vendor"

# package/file-in-package -> vendor/package/file
files=(
    htmx.org/dist/htmx.min.js
    htmx.org/LICENSE
    # The bar, line and pie build: what the dashboard draws, at two thirds of the full size.
    echarts/dist/echarts.common.min.js
    echarts/LICENSE
    echarts/NOTICE
)

for file in "${files[@]}"; do
    if [ ! -f "$modules/$file" ]; then
        echo "$0: $modules/$file is missing; run \`npm ci\` in $root first" >&2
        exit 1
    fi
done

rm -rf "$vendor"
for file in "${files[@]}"; do
    package="${file%%/*}"
    mkdir -p "$vendor/$package"
    cp "$modules/$file" "$vendor/$package/$(basename "$file")"
done
