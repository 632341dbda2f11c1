"""A real round for the reading/scoring/overview widget tests: the demo round, snapshots from the build
service (cleaned blind PDFs, 2026.2 rubrics, P5/P7 tier tables, the coordinator's qualification
facts), and the identity strings of every applicant, to prove that no widget shows them.

Built once per test process (~15 s, on the session's demo round; the test modules import these fixtures); each test opens its own workspace from a snapshot (work factor 1:
TEST ONLY), so what one test saves never reaches another.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from qbdesk.services.coordinator_keys import load_or_create_keys
from qbdesk.services.reviewer import open_snapshot
from qbdesk.services.snapshots import build_snapshots
from qbdesk.store.engine import open_database
from qbdesk.store.models import Applicant


@dataclass(frozen=True)
class PanelRound:
    snapshots: dict[str, Path]  # expert id -> .qbsnap
    passphrases: dict[str, str]
    identity: tuple[str, ...]  # every applicant's name, short name, credit code, contact, phone, address


def build_panel_round(root: Path, copy_demo) -> PanelRound:
    os.environ.setdefault("QBDESK_COORDINATOR_PASSPHRASE", "test-only-coordinator-passphrase")
    copy_demo(root / "demo")
    db = open_database(f"sqlite:///{root / 'demo' / 'demo.sqlite'}")
    try:
        keys = load_or_create_keys(root / "keys", kdf_rounds=1)  # TEST ONLY: cheap to unlock
        build_snapshots(db.sessions, 1, root / "snap", keys=keys, passphrases_out=root / "pp.csv",
                        rng=random.Random(3), kdf_rounds=1)
        identity: list[str] = []
        with db.sessions() as s:
            for a in s.query(Applicant):
                identity += [a.name, a.normalized_name, a.credit_code]
                identity += [v for v in (a.contact or {}).values() if isinstance(v, str) and len(v) >= 2]
    finally:
        db.dispose()
    with open(root / "pp.csv", encoding="utf-8-sig") as f:
        slips = list(csv.DictReader(f))
    return PanelRound({r["expert_id"]: root / "snap" / r["file"] for r in slips},
                      {r["expert_id"]: r["passphrase"] for r in slips}, tuple(dict.fromkeys(identity)))


_built: list[PanelRound] = []  # one build per test process, whichever module asks first


@pytest.fixture(scope="session")
def panel_round(tmp_path_factory, copy_demo) -> PanelRound:
    if not _built:
        _built.append(build_panel_round(tmp_path_factory.mktemp("panel-round"), copy_demo))
    return _built[0]


@pytest.fixture
def open_workspace(panel_round, tmp_path):
    """``open_workspace("E05")``: that expert's snapshot opened into a fresh HOME under tmp_path."""
    opened = []

    def _open(expert: str):
        ws = open_snapshot(panel_round.snapshots[expert], tmp_path / f"home-{expert}", panel_round.passphrases[expert],
                           kdf_rounds=1)
        opened.append(ws)
        return ws

    yield _open
    for ws in opened:
        ws.close()
