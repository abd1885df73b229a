#!/usr/bin/env bash
# How Hongxin is installed for production, in one place: the Dockerfile runs
# these steps and so does the install test (tests/test_install.py), so what
# the test proves is what the image does.
#
#   scripts/install-wheel.sh build DIR     build the wheel of this checkout into DIR
#   scripts/install-wheel.sh install DIR   install the hongxin wheel found in DIR
#
# Both use whichever `python` comes first on PATH: the image's virtual
# environment, or the fresh one the test makes. The install is the wheel alone,
# not editable and without extras, so it has exactly the declared dependencies
# and carries its migrations inside the package.
set -euo pipefail

usage() {
    echo "usage: $0 build DIR | install DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
step=$1
dir=$2

case "$step" in
build)
    source_dir="$(cd "$(dirname "$0")/.." && pwd)"
    python -m pip wheel --no-deps --wheel-dir "$dir" "$source_dir"
    ;;
install)
    wheels=("$dir"/hongxin-*.whl)
    if [ ${#wheels[@]} -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
        echo "$0: expected exactly one hongxin wheel in $dir, found: ${wheels[*]}" >&2
        exit 1
    fi
    python -m pip install "${wheels[0]}"
    # Conflicting or missing requirements fail here, not at the first start.
    python -m pip check
    ;;
*)
    usage
    ;;
esac
