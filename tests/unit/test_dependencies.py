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
