"""Make the TEST-ONLY snapshot that ``qbdesk selftest`` opens (resources/selftest/).

    .venv/bin/python tools/make_selftest_snapshot.py [--out resources/selftest]

It runs the coordinator's own pipeline on a throw-away round: the demo generator's synthetic
packages (one per program, P1–P9: every criterion kind, verified and scored programs, item tiers),
a one-expert roster, ``assign``, ``snapshots build`` with fresh coordinator keys, all in a
temporary folder. What it keeps, each file named and marked TEST-ONLY:

    selftest.qbsnap              the snapshot (round "TEST-ONLY …", expert SELFTEST)
    selftest.passphrase          its passphrase (TEST-ONLY: published with the program)
    selftest-coordinator.json    the coordinator side the selftest checks the score file with:
                                 the receiving identity (TEST-ONLY), the signing key's fingerprint,
                                 the snapshot's binding secret and digest

No real identity is in any of them: the demo's organisations and people are generated, the expert
is "TEST-ONLY", and a snapshot never carries an applicant's identity in the first place. The keys
are published with the program, so they protect nothing: never use them, or this round, for a
real review.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qbdesk.cli.main import main  # noqa: E402
from qbdesk.services.coordinator_keys import load_keys  # noqa: E402
from qbdesk.services.selftest import (  # noqa: E402
    COORDINATOR_FILE,
    COORDINATOR_FORMAT,
    EXPERT_ID,
    PASSPHRASE_FILE,
    ROUND_NAME,
    SNAPSHOT_FILE,
    TEST_ONLY,
)

PROGRAMS = tuple(f"P{n}" for n in range(1, 10))
KEYS_PASSPHRASE = "TEST-ONLY selftest coordinator key 2026"  # strong enough for the check; published


def _run(*argv) -> None:
    code = main(["--lang", "en", *map(str, argv)])
    if code != 0:
        raise SystemExit(f"make_selftest_snapshot: {' '.join(map(str, argv))} failed ({code})")


def _small_pdfs(package: Path, program: str) -> None:
    """Each PDF replaced by a one-page Latin-only one (a few KB instead of the demo's embedded CJK font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    for n, pdf in enumerate(sorted(package.glob("*.pdf")), start=1):
        c = canvas.Canvas(str(pdf), pagesize=A4, invariant=1)
        c.setTitle("TEST-ONLY qbdesk selftest")
        c.setFont("Helvetica-Bold", 20)
        c.drawString(72, 760, "TEST-ONLY - qbdesk selftest")
        c.setFont("Helvetica", 12)
        for k, line in enumerate((f"Synthetic attachment {n} of a program {program} application.",
                                  "Not a real application: for the self-test of the program only.")):
            c.drawString(72, 720 - 18 * k, line)
        c.rect(72, 400, 450, 250)
        c.showPage()
        c.save()


def make(out: Path) -> None:
    os.environ["QBDESK_COORDINATOR_PASSPHRASE"] = KEYS_PASSPHRASE
    with tempfile.TemporaryDirectory(prefix="qbdesk-selftest-fixture-") as tmp:
        root = Path(tmp)
        _run("demo", "--no-gui", "--out", root / "demo")
        packages = root / "packages"
        packages.mkdir()
        taken: set[str] = set()
        for p in sorted((root / "demo" / "packages").iterdir()):
            program = json.loads((p / "application.json").read_text("utf-8"))["program"]
            if program not in taken:
                taken.add(program)
                shutil.copytree(p, packages / p.name)
                _small_pdfs(packages / p.name, program)
        assert taken == set(PROGRAMS), taken
        roster = root / "experts.csv"
        with open(roster, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "name", "organisation", "programs"])
            w.writerow([EXPERT_ID, "TEST-ONLY 自检专家", "TEST-ONLY 自检单位", ";".join(PROGRAMS)])
        db = f"sqlite:///{root / 'round.sqlite'}"
        _run("round", "init", "--db", db, "--name", ROUND_NAME, "--year", "2026")
        _run("applications", "import", "--db", db, packages)
        _run("experts", "import", "--db", db, roster)
        _run("assign", "--db", db, "--per-application", "1", "--seed", "1")
        _run("snapshots", "build", "--db", db, "--out", root / "usb", "--keys", root / "keys",
             "--passphrases-out", root / "pp.csv")
        with open(root / "pp.csv", encoding="utf-8-sig") as f:
            (slip,) = list(csv.DictReader(f))
        keys = load_keys(root / "keys", passphrase=KEYS_PASSPHRASE)
        con = sqlite3.connect(root / "round.sqlite")
        try:
            secret, digest = con.execute("select binding_secret, digest from snapshot").fetchone()
        finally:
            con.close()
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / "usb" / slip["file"], out / SNAPSHOT_FILE)
        (out / PASSPHRASE_FILE).write_text(f"{slip['passphrase']}\n", encoding="utf-8")
        coordinator = {
            "format": COORDINATOR_FORMAT,
            "test_only": TEST_ONLY,
            "expert_id": EXPERT_ID,
            "snapshot_digest": digest,
            "coordinator_fingerprint": keys.fingerprint,
            "binding_secret": secret,
            "receiving_identity": keys.receiving_identity,
        }
        (out / COORDINATOR_FILE).write_text(json.dumps(coordinator, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out / SNAPSHOT_FILE}, {out / PASSPHRASE_FILE}, {out / COORDINATOR_FILE}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "selftest")
    make(ap.parse_args().out)
