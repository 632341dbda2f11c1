"""Launch to a usable work list: `qbdesk review gui --home DIR --passphrase-file F --exit-when-ready`
on a 500-application snapshot (12-criterion rubrics), against a bare PySide6 window's start in the same run.

    .venv/bin/python bench/bench_review_launch.py [--runs 5]

Both are timed from spawning the process to its `ready` line (wall clock, offscreen); the
window also reports its own `ready <seconds>` (since its entry point). Goal: ≤ 2.5× the bare
window. Both keys are wrapped with the real work factor (64 bcrypt rounds), as on a laptop: the
expert key in HOME and the snapshot's identity. Only the identity's derivation stands before the
work list; the expert key's runs on its own thread after it (it signs only at finalising). In the same run, interleaved, one 64-round unwrap alone is timed (the
expert key, in this process): the floor that the contract's work factor puts under any start.
The last line gives the ratio with that one derivation subtracted — what the rest of the start
costs against a bare window.

The children write and reuse their bytecode under the bench's temporary folder
(``PYTHONPYCACHEPREFIX``, even where ``PYTHONDONTWRITEBYTECODE`` is set), as an installed or
frozen app has its modules compiled: otherwise each start would compile qbdesk's sources anew.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_review_store import APPLICATIONS, PASSPHRASE, make_snapshot, rubric12

KDF_ROUNDS = 64  # the snapshot identity's and the expert key's (IDENTITY_KDF_ROUNDS)

BARE = """
import sys, time
t0 = time.monotonic()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1280, 760); w.show()
def ready():
    print(f"ready {time.monotonic() - t0:.3f}", flush=True); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    own = float("nan")
    for line in proc.stdout:
        if line.startswith("ready "):
            own = float(line.split()[1])
            break
    wall = time.perf_counter() - start
    proc.wait(60)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} exited {proc.returncode}")
    return wall, own


def one_unwrap(home: Path) -> float:
    """One 64-round bcrypt unwrap alone: the expert key in HOME, as opening (and the idle lock) does it."""
    from qbdesk.services.reviewer.opening import load_expert_key

    start = time.perf_counter()
    load_expert_key(home, PASSPHRASE)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    from qbdesk.services.reviewer import open_snapshot

    with tempfile.TemporaryDirectory(prefix="qbdesk-bench-launch-") as tmp:
        tmp = Path(tmp)
        snapshot, home, pfile = tmp / "bench.qbsnap", tmp / "home", tmp / "pp.txt"
        make_snapshot(snapshot, rubric12(), rounds=KDF_ROUNDS)
        with open_snapshot(snapshot, home, PASSPHRASE) as ws:
            ws.declare(True)
            assert len(ws.applications) == APPLICATIONS and ws.manifest.identity_rounds == KDF_ROUNDS
        pfile.write_text(PASSPHRASE, encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp / "config"),
               "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        qbdesk = [sys.executable, "-m", "qbdesk.cli.main", "review", "gui", "--home", str(home),
                  "--passphrase-file", str(pfile), "--exit-when-ready"]
        bare = [sys.executable, "-c", BARE]
        timed(bare, env), timed(qbdesk, env)  # warm the disk cache (and compile the bytecode once)
        bare_runs, app_runs, kdf_runs = [], [], []
        for _ in range(args.runs):  # interleaved, so a busy moment hits all three
            bare_runs.append(timed(bare, env))
            app_runs.append(timed(qbdesk, env))
            kdf_runs.append(one_unwrap(home))
    b = statistics.median(w for w, _ in bare_runs)
    a = statistics.median(w for w, _ in app_runs)
    own = statistics.median(o for _, o in app_runs)
    kdf = statistics.median(kdf_runs)
    print(f"bare PySide6 window: median {b:.3f} s to ready ({args.runs} runs)")
    print(f"qbdesk review gui, {APPLICATIONS} applications: median {a:.3f} s to ready (its own count: {own:.3f} s)")
    print(f"ratio {a / b:.2f}x (goal <= 2.5x)")
    print(f"one {KDF_ROUNDS}-round bcrypt unwrap alone: median {kdf:.3f} s ({kdf / b:.2f}x the bare window by itself)")
    print(f"ratio without that one unavoidable key derivation: {(a - kdf) / b:.2f}x "
          f"({a - kdf:.3f} s beyond it; the expert key unwraps afterwards, off the path)")


if __name__ == "__main__":
    main()
