# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures of the Python tests: paths, the C model's nca-host, helpers."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEIGHTS = os.path.join(ROOT, "weights")
sys.path.insert(0, WEIGHTS)

BUILD = os.environ.get("BUILD", "build")
NCA_HOST = os.environ.get("NCA_HOST", os.path.join(ROOT, BUILD, "nca-host"))


def model_files():
    """Every .bin model committed under weights/ (recursively; training outputs excluded)."""
    out = []
    for d, dirs, files in os.walk(WEIGHTS):
        dirs[:] = sorted(x for x in dirs if x not in ("checkpoints", "__pycache__"))
        out += [os.path.join(d, f) for f in sorted(files) if f.endswith(".bin")]
    return out


@pytest.fixture(scope="session")
def nca_host():
    if not os.access(NCA_HOST, os.X_OK):
        pytest.fail(f"{NCA_HOST} not built: run `make` first (or set NCA_HOST)")
    return NCA_HOST


def run_host(host, *args, check=True):
    r = subprocess.run([host, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"nca-host {' '.join(map(str, args))} exited {r.returncode}: "
                             f"{r.stderr.strip()}")
    return r
