# SPDX-License-Identifier: Apache-2.0
"""The numbers the RTL, the host and the tests share come from one table (tools/gen_ids.py):
the committed Verilog, C and Python copies must equal what the table gives, and a change to
any one copy alone must fail the check."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GEN = os.path.join(ROOT, "tools", "gen_ids.py")
FILES = ["rtl/nca_core_ops.vh", "rtl/nca_link_ids.vh", "host/include/nca_ids.h",
         "tests/c/nca_ids.py"]
# one value in each file, as that file spells it, and a wrong one
EDITS = {
    "rtl/nca_core_ops.vh": ("OP_STEP = 4'h8;", "OP_STEP = 4'h9;"),
    "rtl/nca_link_ids.vh": ("C_RUN = 8'h21;", "C_RUN = 8'h23;"),
    "host/include/nca_ids.h": ("NCA_CMD_STATS = 0x33,", "NCA_CMD_STATS = 0x34,"),
    "tests/c/nca_ids.py": ("ST_BUSY = 0x04", "ST_BUSY = 0x07"),
}


def check(root):
    return subprocess.run([sys.executable, GEN, "--check", "--root", root],
                          capture_output=True, text=True)


def test_tree_agrees_with_table():
    r = check(ROOT)
    assert r.returncode == 0, r.stderr
    assert "4 files agree" in r.stdout


@pytest.mark.parametrize("rel", FILES)
def test_one_changed_copy_fails(tmp_path, rel):
    for f in FILES:
        os.makedirs(os.path.dirname(str(tmp_path / f)), exist_ok=True)
        shutil.copy(os.path.join(ROOT, f), str(tmp_path / f))
    assert check(str(tmp_path)).returncode == 0
    old, new = EDITS[rel]
    text = (tmp_path / rel).read_text()
    assert old in text
    (tmp_path / rel).write_text(text.replace(old, new))
    r = check(str(tmp_path))
    assert r.returncode == 1
    assert rel in r.stderr and "differs" in r.stderr
    assert sum(f in r.stderr for f in FILES) == 1


def test_rtl_and_host_use_the_generated_copies():
    # the modules that speak op codes or protocol bytes include the generated headers and
    # define none of their own
    for rel in ["rtl/nca_core.v", "rtl/nca_core_seq.v", "rtl/nca_link.v",
                "rtl/nca_link_model.v", "rtl/nca_weights.v"]:
        text = open(os.path.join(ROOT, rel)).read()
        assert '`include "nca_core_ops.vh"' in text, rel
        assert "localparam [3:0] OP_" not in text, rel
    for rel in ["rtl/nca_link.v", "rtl/nca_link_rx.v", "rtl/nca_link_tx.v"]:
        text = open(os.path.join(ROOT, rel)).read()
        assert '`include "nca_link_ids.vh"' in text, rel
        assert "8'hA5" not in text and "localparam [7:0] C_" not in text, rel
    assert '#include "nca_ids.h"' in open(os.path.join(ROOT, "host/include/nca_link.h")).read()
    assert "enum nca_link_cmd" not in open(os.path.join(ROOT, "host/include/nca_link.h")).read()
    assert "from nca_ids import" in open(os.path.join(ROOT, "tests/c/board_client.py")).read()
