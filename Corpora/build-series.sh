#!/usr/bin/env bash
# Rebuild Corpora/series/*.csv from the datasets that PyPI's `statsmodels` ships.
#
#   bash Corpora/build-series.sh
#
# Needs python3 with the venv module and network access to PyPI. Nothing is
# installed: pip downloads the statsmodels wheel (pinned below, without its
# dependencies) into a throwaway directory that is deleted on exit, and
# build_series.py reads the dataset CSV files out of the wheel with the
# standard library's zipfile. Deterministic: the same wheel gives
# byte-identical files. See "Numeric series" in Corpora/README.md.
set -euo pipefail

STATSMODELS_VERSION=0.15.0   # the version documented in Corpora/README.md

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-python3}

command -v "$PY" >/dev/null || { echo "error: $PY not found; apt-get install python3" >&2; exit 1; }
"$PY" -c 'import venv, ensurepip' 2>/dev/null || {
    echo "error: $PY cannot create virtual environments with pip; on Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/statsmodels-wheel.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$PY" -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1 || {
    cat "$WORK/venv.log" >&2
    echo "error: '$PY -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
}
echo "downloading the statsmodels==$STATSMODELS_VERSION wheel (no dependencies) into $WORK" >&2
if ! "$WORK/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-input --no-deps \
        --only-binary=:all: "statsmodels==$STATSMODELS_VERSION" -d "$WORK/wheel" >"$WORK/pip.log" 2>&1; then
    cat "$WORK/pip.log" >&2
    echo "error: pip could not download statsmodels==$STATSMODELS_VERSION from PyPI (network or index problem?)" >&2
    exit 1
fi
WHEEL=$(ls "$WORK"/wheel/statsmodels-"$STATSMODELS_VERSION"-*.whl)
"$PY" "$HERE/build_series.py" "$WHEEL" "$HERE/series"
