"""Side effects of dependencies on each other, pinned."""

from __future__ import annotations

import subprocess
import sys


def test_openpyxl_keeps_the_standard_library_writer_although_pikepdf_brings_lxml():
    # lxml's writer raises on text the standard library's writes; qbdesk's sheet and roster code were
    # built (and fuzzed) on the latter. A fresh interpreter, as the CLI starts.
    code = "import qbdesk, lxml, openpyxl.xml; assert openpyxl.xml.LXML is False"
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_reportlab_runs_on_its_c_accelerator():
    # rl_accel (a dependency) is reportlab's own C module for text widths, number formatting and
    # ASCII85; without it every PDF (demo packages, scorecards, slips) takes ~20 % longer, silently.
    code = ("from reportlab.lib import rl_accel as r; "
            "assert all(getattr(r, f).__module__ == '_rl_accel' for f in ('fp_str', 'asciiBase85Encode', "
            "'instanceStringWidthTTF', 'unicode2T1', 'calcChecksum')), 'pure-Python fallbacks in use'")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PATH": "/usr/bin:/bin"})
