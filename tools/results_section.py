#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""results_section.py FILE TEXT_FILE - replaces the section of markdown FILE whose "## " title
line is TEXT_FILE's first line (up to the next "## " title) with TEXT_FILE, or appends it.
The benches (tools/bench_*.sh) write their tables into docs/results.md with it."""
import re
import sys


def main():
    path, text_path = sys.argv[1], sys.argv[2]
    text = open(text_path).read().rstrip() + "\n"
    title = text.splitlines()[0]
    if not title.startswith("## "):
        sys.exit("results_section.py: %s does not start with a '## ' title" % text_path)
    try:
        doc = open(path).read()
    except FileNotFoundError:
        doc = "# Results\n"
    pat = re.compile(r"^" + re.escape(title) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    doc = pat.sub(lambda m: text + "\n", doc) if pat.search(doc) else doc.rstrip() + "\n\n" + text
    open(path, "w").write(doc)


if __name__ == "__main__":
    main()
