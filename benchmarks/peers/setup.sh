#!/bin/sh
# Create a virtual environment OUTSIDE the repository holding the peers we compare against:
# antaris-router 5.0.1 (required) and baar-core (optional; skipped if it does not install).
# antaris_like itself never imports them: the benchmarks call the peer venv's python by subprocess.
#
# Usage: sh benchmarks/peers/setup.sh            (venv at $ANTARIS_PEERS_VENV or /work/peers-venv)
#        PYTHON=python3.12 sh benchmarks/peers/setup.sh
set -eu

VENV="${ANTARIS_PEERS_VENV:-/work/peers-venv}"
PYTHON="${PYTHON:-python3}"

case "$VENV" in
    /*) ;;
    *) VENV="$(pwd)/$VENV" ;;
esac
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
case "$VENV/" in
    "$REPO"/*) echo "refusing to create the peer venv inside the repository ($REPO); set ANTARIS_PEERS_VENV" >&2; exit 2 ;;
esac

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "antaris-router==5.0.1"
if "$VENV/bin/python" -m pip install --quiet baar-core; then
    echo "baar-core installed"
else
    echo "baar-core did not install; its import time will be reported as unavailable" >&2
fi
"$VENV/bin/python" -m pip list --format=freeze | grep -i -E '^(antaris|baar)' || true
echo "peer venv ready: $VENV/bin/python"
