"""Nothing shown as saved is lost: a child process saving change after change is SIGKILLed at random
moments (inside appends and compactions), and the reopened workspace holds every change it had
reported saved, at most the one in flight beyond it, an intact edit log, and still works."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qbdesk.formats import scorefile as sf
from qbdesk.services.reviewer import ReviewWorkspace, open_snapshot
from tests.integration.review_writer import apply_change, changes
from tests.unit.review_snapshot import PASSPHRASE, complete, coordinator, make_snapshot

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")


def expected(ws_template: ReviewWorkspace, seed: int, count: int) -> tuple[dict, dict]:
    """Values and notes after the first ``count`` changes of ``seed``, starting from nothing."""
    values: dict = {}
    notes: dict = {}
    for change, _ in zip(changes(ws_template, seed), range(count)):
        if change[0] == "note":
            notes[change[1]] = change[2]
        else:
            values.setdefault(change[1], {})[change[2]] = change[3]
    return values, notes


def observed(ws: ReviewWorkspace) -> tuple[dict, dict]:
    values = {a.code: ws.values(a.code) for a in ws.applications if ws.values(a.code)}
    notes = {a.code: ws.note(a.code) for a in ws.applications if ws.note(a.code)}
    return values, notes


def run_and_kill(home: Path, seed: int, rng: random.Random) -> int:
    """Start the writer, let it report a random number of saves, kill it at a random moment; return
    how many saves it reported."""
    child = subprocess.Popen([sys.executable, "-m", "tests.integration.review_writer", str(home), str(seed)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        target = rng.randint(1, 40)
        saved = 0
        while saved < target:
            line = child.stdout.readline()
            assert line.startswith("saved "), (line, child.stderr.read())
            saved = int(line.split()[1])
        time.sleep(rng.random() * 0.004)  # somewhere inside the next save(s)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        saved = max([saved] + [int(ln.split()[1]) for ln in child.stdout.read().splitlines() if ln.startswith("saved ")])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    return saved


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_killed_at_any_moment_nothing_reported_saved_is_lost(tmp_path, seed):
    make_snapshot(tmp_path / "s.qbsnap", coordinator())
    home = tmp_path / "home"
    open_snapshot(tmp_path / "s.qbsnap", home, PASSPHRASE, kdf_rounds=1).close()
    rng = random.Random(seed * 7919)
    total_before = 0
    for round_ in range(3):  # kill, reopen, carry on from where it stood, kill again
        with ReviewWorkspace.load(home, PASSPHRASE) as ws:
            start_values, start_notes = observed(ws)
            start_log = len(ws.edit_log)
        saved = run_and_kill(home, seed * 100 + round_, rng)
        with ReviewWorkspace.load(home, PASSPHRASE) as ws:  # no corrupt_state: nothing else damaged
            got = observed(ws)
            log = ws.edit_log
            fits = []
            for count in (saved, saved + 1):  # the change in flight may or may not have reached the disk
                values, notes = expected(ws, seed * 100 + round_, count)
                merged_values = {c: {**start_values.get(c, {}), **values.get(c, {})}
                                 for c in set(start_values) | set(values)}
                fits.append(got == (merged_values, {**start_notes, **notes}))
            assert any(fits), (seed, round_, saved)
            assert sf.check_edit_log(log) is None
            # every value change reported saved is in the edit log, in order
            value_changes = [c for c, _ in zip(changes(ws, seed * 100 + round_), range(saved)) if c[0] == "value"]
            logged = [(e["application"], e["criterion"], e["value"]) for e in log[start_log:]]
            current: dict = {c: dict(v) for c, v in start_values.items()}
            wanted = []
            for _, code, criterion, value in value_changes:
                if current.get(code, {}).get(criterion) != value:
                    wanted.append((code, criterion, value))
                    current.setdefault(code, {})[criterion] = value
            assert logged[:len(wanted)] == wanted and len(logged) - len(wanted) in (0, 1)
        total_before += saved
    assert total_before >= 3
    with ReviewWorkspace.load(home, PASSPHRASE) as ws:  # and the workspace still does its job
        apply_change(ws, ("note", ws.applications[0].code, "最后一条"))
        complete(ws)
        ws.declare(True)
        result = ws.finalize(tmp_path / "E01.qbscore")
        assert result.sequence == 1 and ws.finalised
