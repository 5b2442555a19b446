#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes OUT/report.md for one bitstream build (tools/bitstream.sh) and decides it.

Reads OUT/yosys-stat.txt (cell counts after synthesis), OUT/nextpnr-report.json (device
use and Fmax after place and route) and OUT/nextpnr.log (the error when nextpnr failed).
Exit status 0 when the design was placed, routed and meets every clock constraint, 1
otherwise (the report says why).

  bitstream_report.py --timing OUT/nextpnr-report.json
decides one nextpnr run only (tools/bitstream.sh's seed sweep): prints the lowest Fmax in
MHz, exit status 0 when every clock meets its constraint."""
import argparse
import json
import os
import re
import sys

# cells Yosys reports, per family: (label, cell names summed)
STAT_CELLS = {
    "ice40": [("LUT4", ["SB_LUT4"]), ("carry", ["SB_CARRY"]), ("FF", ["SB_DFF*"]),
              ("EBR (SB_RAM40_4K)", ["SB_RAM40_4K"]), ("SPRAM", ["SB_SPRAM256KA"]),
              ("DSP (SB_MAC16)", ["SB_MAC16"])],
    "ecp5": [("LUT4", ["LUT4"]), ("carry (CCU2C)", ["CCU2C"]), ("FF", ["TRELLIS_FF"]),
             ("LUT RAM (DPR16X4)", ["TRELLIS_DPR16X4"]), ("EBR (DP16KD)", ["DP16KD"]),
             ("DSP (MULT18X18D)", ["MULT18X18D"])],
}
# nextpnr bel types, per family: (label, bel type)
PNR_BELS = {
    "ice40": [("logic cells", "ICESTORM_LC"), ("EBR", "ICESTORM_RAM"),
              ("SPRAM", "ICESTORM_SPRAM"), ("DSP", "ICESTORM_DSP"), ("PLL", "ICESTORM_PLL"),
              ("IO", "SB_IO")],
    "ecp5": [("LUT4 (TRELLIS_COMB)", "TRELLIS_COMB"), ("FF", "TRELLIS_FF"),
             ("LUT RAM write ports", "TRELLIS_RAMW"), ("EBR (DP16KD)", "DP16KD"),
             ("DSP (MULT18X18D)", "MULT18X18D"), ("PLL", "EHXPLLL"), ("IO", "TRELLIS_IO")],
}
DEVICES = {"icebreaker": "iCE40 UP5K-SG48", "ulx3s-25f": "ECP5 LFE5U-25F CABGA381",
           "ulx3s-45f": "ECP5 LFE5U-45F CABGA381", "ulx3s-85f": "ECP5 LFE5U-85F CABGA381"}


def yosys_cells(path):
    """Cell name -> count from the last `stat` block of a Yosys log."""
    cells = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return cells
    for m in re.finditer(r"^\s+(\d+)\s+(?:[\d.]+\s+)?\$?([A-Za-z_][\w$]*)\s*$", text, re.M):
        cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
    for m in re.finditer(r"^\s+([A-Za-z_][\w$]*)\s+(\d+)\s*$", text, re.M):
        cells[m.group(1)] = cells.get(m.group(1), 0) + int(m.group(2))
    return cells


def count(cells, patterns):
    total = 0
    for p in patterns:
        if p.endswith("*"):
            total += sum(v for k, v in cells.items() if k.startswith(p[:-1]))
        else:
            total += cells.get(p, 0)
    return total


def first_error(log):
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("ERROR:"):
                    return line.strip()
    except OSError:
        pass
    return "nextpnr failed (no ERROR line in its log)"


def timing_problems(fmax):
    """The clocks of a nextpnr report's "fmax" that miss their constraint, as text."""
    problems = ["clock %s: Fmax %.2f MHz < target %.2f MHz" % (name, t["achieved"], t["constraint"])
                for name, t in sorted(fmax.items()) if t["achieved"] < t["constraint"]]
    if not fmax:
        problems.append("nextpnr reported no clock")
    return problems


def timing(path):
    """--timing: one nextpnr run's verdict (0 met, 1 missed or unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            fmax = json.load(f).get("fmax", {})
    except (OSError, ValueError) as e:
        print("bitstream_report: %s: %s" % (path, e), file=sys.stderr)
        return 1
    print("%.2f" % min((t["achieved"] for t in fmax.values()), default=0.0))
    return 1 if timing_problems(fmax) else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--timing":
        return timing(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="",
                    help="the nextpnr seeds tried, 'SEED:MHZ ...' in order (the last is this build)")
    for opt in ("board", "family", "out", "grid", "build-id"):
        ap.add_argument("--" + opt, required=True)
    for opt in ("lanes", "clk-mhz", "core", "hidden", "channels", "seconds", "pnr-rc"):
        ap.add_argument("--" + opt, type=int, required=True)
    a = ap.parse_args()

    cells = yosys_cells(os.path.join(a.out, "yosys-stat.txt"))
    problems = []
    util, fmax = {}, {}
    if a.pnr_rc == 0:
        with open(os.path.join(a.out, "nextpnr-report.json"), encoding="utf-8") as f:
            rep = json.load(f)
        util = rep.get("utilization", {})
        fmax = rep.get("fmax", {})
        problems += timing_problems(fmax)
    else:
        problems.append(first_error(os.path.join(a.out, "nextpnr.log")))

    ok = not problems
    lines = ["# Bitstream report: %s" % a.board, "",
             "| item | value |", "|---|---|",
             "| device | %s |" % DEVICES.get(a.board, a.board),
             "| grid | %s, %d channels, hidden <= %d |" % (a.grid, a.channels, a.hidden),
             "| LANES | %d |" % a.lanes,
             "| core variant | %d |" % a.core,
             "| clock target | %d MHz |" % a.clk_mhz]
    for name, t in sorted(fmax.items()):
        lines.append("| Fmax `%s` | %.2f MHz (target %.2f) |" % (name, t["achieved"], t["constraint"]))
    tries = [t.split(":", 1) for t in a.seeds.split()]   # [seed, MHz or "" (no route)]
    if tries:
        lines.append("| nextpnr seed | %s (tried: %s) |" % (tries[-1][0], ", ".join(
            "%s: %s" % (seed, mhz + " MHz" if mhz else "no route") for seed, mhz in tries)))
    lines.append("| build id | 0x%08x |" % int(a.build_id))
    lines.append("| build time | %d s |" % a.seconds)
    lines.append("| result | %s |" % ("PASS" if ok else "FAIL: " + "; ".join(problems)))
    lines += ["", "After place and route (nextpnr):", "", "| resource | used | available | % |",
              "|---|---|---|---|"]
    for label, bel in PNR_BELS[a.family]:
        if bel in util:
            u, av = util[bel]["used"], util[bel]["available"]
            lines.append("| %s | %d | %d | %.0f |" % (label, u, av, 100.0 * u / av if av else 0))
    if not util:
        lines.append("| (no placement) | | | |")
    lines += ["", "After synthesis (Yosys cells):", "", "| cell | count |", "|---|---|"]
    for label, pats in STAT_CELLS[a.family]:
        lines.append("| %s | %d |" % (label, count(cells, pats)))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "report.md"), "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    # one NAME: PASS/FAIL line that tests/run-all.sh counts
    print("bitstream_%s: %s" % (a.board.replace("-", "_"), "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
