#!/usr/bin/env bash
# Rebuild Corpora/names/<Language>.txt from the name lists in PyPI's `faker`.
#
#   bash Corpora/build-names.sh
#
# Needs python3 (>= 3.10) with the venv module and network access to PyPI.
# Nothing is installed globally: faker (pinned below) goes into a throwaway
# venv in a temporary directory that is deleted on exit. build_names.py then
# imports faker's person-provider modules and reads their name lists directly
# (no random sampling).
#
# Output: one name per line, NFC UTF-8, stripped, no duplicates, sorted by
# code point, single final newline. Deterministic: the same faker version
# gives byte-identical files. See "Names by language" in Corpora/README.md.
set -euo pipefail

FAKER_VERSION=40.54.0   # the version documented in Corpora/README.md

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT="$HERE/names"
PY=${PYTHON:-python3}

command -v "$PY" >/dev/null || {
    echo "error: $PY not found; install Python 3.10 or newer (apt-get install python3)" >&2
    exit 1
}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "error: faker $FAKER_VERSION needs Python >= 3.10; $("$PY" --version 2>&1) found" >&2
    exit 1
}
"$PY" -c 'import venv, ensurepip' 2>/dev/null || {
    echo "error: $PY cannot create virtual environments with pip (modules venv/ensurepip missing)." >&2
    echo "       On Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/faker-venv.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if ! "$PY" -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1; then
    cat "$WORK/venv.log" >&2
    echo "error: '$PY -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
fi
VPY="$WORK/venv/bin/python"
"$VPY" -m pip --version >/dev/null 2>&1 || {
    echo "error: the new venv has no working pip; on Debian/Ubuntu: apt-get install python3-venv python3-pip" >&2
    exit 1
}

echo "installing faker==$FAKER_VERSION into a throwaway venv ($WORK/venv)" >&2
if ! "$VPY" -m pip install --quiet --disable-pip-version-check --no-input \
        "faker==$FAKER_VERSION" >"$WORK/pip.log" 2>&1; then
    cat "$WORK/pip.log" >&2
    echo "error: pip could not install faker==$FAKER_VERSION from PyPI (network or index problem?)" >&2
    exit 1
fi

# The licence that ships with the installed distribution.
LICENSE_FILE=$("$VPY" -I - <<'PY'
from importlib.metadata import distribution
dist = distribution("faker")
files = [f for f in (dist.files or []) if f.name.upper().startswith(("LICENSE", "LICENCE", "COPYING"))]
print(dist.locate_file(files[0]) if files else "")
PY
)
if [ -z "$LICENSE_FILE" ] || ! grep -q 'Permission is hereby granted, free of charge' "$LICENSE_FILE"; then
    echo "error: could not find faker's MIT licence text in the installed package" >&2
    exit 1
fi
echo "faker licence: MIT ($(head -n 1 "$LICENSE_FILE"))" >&2

"$VPY" -I "$HERE/build_names.py" "$FAKER_VERSION" "$OUT"

(cd "$OUT" && sha256sum -- *.txt)
