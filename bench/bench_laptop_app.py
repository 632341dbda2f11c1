"""The frozen laptop app against a checkout, in the same run: start, self-test, window start.

Needs a built bundle (``pyinstaller build.spec --noconfirm``). Each measure runs the frozen
``dist/qbdesk/qbdesk`` and the same command from source (``python -m qbdesk.cli.main``)
alternately, ``--repeat`` times, and prints the medians and their ratio:

- ``--version``: the interpreter and the CLI's start (no Qt);
- ``selftest``: the whole headless self-test (two bcrypt unlocks, finalise, Qt offscreen, QtPdf);
- the expert's window, when the bundle has it: ``review gui --exit-when-ready`` on a workspace
  opened from the bundled TEST-ONLY snapshot, on xcb (under ``xvfb-run`` without a DISPLAY), its
  ``ready`` seconds, with a bare PySide6 window's start from source as the baseline.

``--build`` first times the build itself. Figures only: nothing here passes or fails.

    .venv/bin/python bench/bench_laptop_app.py [--repeat 3] [--build]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "dist" / "qbdesk" / "qbdesk"
SOURCE = [sys.executable, "-m", "qbdesk.cli.main"]
FIXTURE = ROOT / "resources" / "selftest"
BARE_WINDOW = """
import sys, time
t0 = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
w = QLabel("bare"); w.resize(1200, 700); w.show()
def ready():
    print(f"ready {time.perf_counter() - t0:.3f}", flush=True); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def _wall(argv: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - t0


def _ready(argv: list[str], env: dict[str, str]) -> float:
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("ready ")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return float(line.split()[1])


def _row(name: str, frozen: list[float], source: list[float]) -> None:
    f, s = statistics.median(frozen), statistics.median(source)
    print(f"{name:<34} frozen {f:7.3f} s   source {s:7.3f} s   frozen/source {f / s:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build", action="store_true", help="time `pyinstaller build.spec --noconfirm` first")
    args = ap.parse_args()
    if args.build:
        t = _wall([sys.executable, "-m", "PyInstaller", "build.spec", "--noconfirm", "--log-level", "WARN"])
        print(f"{'build':<34} {t:7.1f} s")
    if not FROZEN.exists():
        raise SystemExit(f"no bundle at {FROZEN}: run `pyinstaller build.spec --noconfirm` (or --build)")
    size = subprocess.run(["du", "-sh", str(FROZEN.parent)], capture_output=True, text=True).stdout.split()[0]
    print(f"{'bundle size (du -sh dist/qbdesk)':<34} {size}")

    for name, tail in (("--version", ["--version"]), ("selftest", ["selftest"])):
        frozen, source = [], []
        for _ in range(args.repeat):
            frozen.append(_wall([str(FROZEN), *tail]))
            source.append(_wall([*SOURCE, *tail]))
        _row(name, frozen, source)

    if subprocess.run([str(FROZEN), "review", "gui", "--help"], capture_output=True).returncode != 0:
        print("review gui --exit-when-ready         (not in this bundle: skipped)")
        return
    with tempfile.TemporaryDirectory(prefix="qbdesk-bench-laptop-") as tmp:
        ws, pfile = Path(tmp) / "ws", FIXTURE / "selftest.passphrase"
        common = ["--home", str(ws), "--passphrase-file", str(pfile)]
        _wall([*SOURCE, "review", "open", str(FIXTURE / "selftest.qbsnap"), *common])
        _wall([*SOURCE, "review", "declare", *common, "--yes"])
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
        wrap = [] if os.environ.get("DISPLAY") else ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24"]
        if wrap and not shutil.which("xvfb-run"):
            raise SystemExit("no DISPLAY and no xvfb-run")
        frozen, source, bare = [], [], []
        for _ in range(args.repeat):
            frozen.append(_ready([*wrap, str(FROZEN), "review", "gui", *common, "--exit-when-ready"], env))
            source.append(_ready([*wrap, *SOURCE, "review", "gui", *common, "--exit-when-ready"], env))
            bare.append(_ready([*wrap, sys.executable, "-c", BARE_WINDOW], env))
        _row("review gui: ready", frozen, source)
        b = statistics.median(bare)
        print(f"{'bare PySide6 window (source)':<34} {b:7.3f} s   frozen/bare {statistics.median(frozen) / b:5.2f}")


if __name__ == "__main__":
    main()
