#!/usr/bin/env bash
# Create bench/.venv-snakemake with the Snakemake that compare.py measures against.
#
# A separate virtualenv keeps Snakemake's many dependencies out of seamlessflow's own
# environment, so neither tool's start-up is slowed by the other's packages.
# Usage: bash bench/snakemake_env.sh [PYTHON]   (PYTHON defaults to python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-snakemake"
python="${1:-python3}"
version="9.27.1"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
if ! "$venv/bin/python" -m pip install --quiet "snakemake==$version"; then
    echo "snakemake==$version is not available; installing the newest release" >&2
    "$venv/bin/python" -m pip install --quiet snakemake
fi
echo "installed: $("$venv/bin/snakemake" --version) in $venv"
