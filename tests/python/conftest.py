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


def built(path, env):
    """path, an executable the build makes; the test fails naming `make` (or the variable env
    that points elsewhere) when it is not there."""
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built: run `make` first (or set {env})")
    return path


@pytest.fixture(scope="session")
def nca_host():
    return built(NCA_HOST, "NCA_HOST")


def run_tool(tool, *args, check=True):
    """Runs one of the project's programs (nca-host, nca-grayscott) with args; with check, a
    non-zero exit fails with the command and its stderr."""
    r = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{os.path.basename(tool)} {' '.join(map(str, args))} exited "
                             f"{r.returncode}: {r.stderr.strip()}")
    return r
