"""Harness for the Qt tests: offscreen, isolated, and strict about leaks.

- ``QT_QPA_PLATFORM=offscreen`` is set before Qt is imported here;
- settings and databases live in ``tmp_path`` (``QStandardPaths`` test mode);
- every gui test fails if it leaves a top-level widget alive or a background
  task undelivered (the idea of napari's leak fixtures).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QStandardPaths
from PySide6.QtWidgets import QApplication

from qbdesk.domain import credit_code
from qbdesk.gui import i18n
from qbdesk.gui.common import tasks
from qbdesk.store.engine import open_database
from qbdesk.store.models import (
    Applicant,
    Application,
    Assignment,
    Attachment,
    Blob,
    Expert,
    ProgramConfig,
    Round,
)

QStandardPaths.setTestModeEnabled(True)  # QSettings/QStandardPaths never touch the real profile


@dataclass(frozen=True)
class DemoRound:
    url: str
    round_id: int
    external_ids: tuple[str, ...]


# (external id, program, applicant, title, requested yuan, tier, items, blind, non-blind attachments)
APPLICATIONS = (
    ("P2-2025-001", "P2", "深圳市鹏城精密制造有限公司", "高端轴承关键质量技术攻关", 300000, None, 0, 2, 1),
    ("P2-2025-002", "P2", "深圳湾检测技术有限公司", "质量管理方法创新与数字化应用", 300000, None, 0, 1, 1),
    ("P3-2025-001", "P3", "南山绿色家居股份有限公司", "绿色产品认证三项", 150000, None, 3, 1, 1),
    ("P5-2025-001", "P5", "深圳计量科学研究院", "主导制定国际计量技术规范", 800000, "intl_regulation_lead", 1, 2, 0),
    ("P5-2025-002", "P5", "前海仪器仪表有限公司", "市级社会公用计量标准证书", 30000, "municipal_standard_certificate", 1, 1, 1),
    ("P7-2025-001", "P7", "深圳市鹏城精密制造有限公司", "中国质量奖", 3000000, "national_award", 1, 1, 1),
)


def build_demo_round(path: Path) -> DemoRound:
    """A small round built through the storage models: P2, P3, P5, P7, three experts."""
    rng = random.Random(2025)
    db = open_database(str(path))
    try:
        with db.sessions.begin() as s:
            rnd = Round(name="2025年度质量品牌专项第一批", year=2025)
            s.add(rnd)
            s.flush()
            s.add_all(ProgramConfig(round_id=rnd.id, program=p) for p in ("P2", "P3", "P5", "P7"))
            applicants: dict[str, Applicant] = {}
            for ext, prog, name, title, amount, tier, n_items, blind, other in APPLICATIONS:
                if name not in applicants:
                    applicants[name] = Applicant(credit_code=credit_code.generate(rng), name=name,
                                                 normalized_name=name)
                app = Application(
                    round_id=rnd.id, external_id=ext, program=prog, year=2025, applicant=applicants[name],
                    title=title, requested_amount=amount, tier=tier,
                    items=[{"n": i} for i in range(n_items)],
                    package_digest=hashlib.sha256(ext.encode()).hexdigest())
                for i in range(blind + other):
                    data = f"%PDF-1.4 {ext} {i}".encode()
                    digest = hashlib.sha256(data).hexdigest()
                    s.merge(Blob(sha256=digest, size=len(data), data=data))
                    app.attachments.append(Attachment(position=i, file=f"{i}.pdf", title=f"附件{i + 1}",
                                                      blind=i < blind, sha256=digest, size=len(data)))
                s.add(app)
            s.flush()
            experts = [Expert(round_id=rnd.id, external_id=f"E{i}", name=f"专家{i}", organisation="深圳大学",
                              normalized_organisation="深圳大学") for i in range(1, 4)]
            s.add_all(experts)
            s.flush()
            first = s.query(Application).filter_by(external_id="P2-2025-001").one()
            s.add_all(Assignment(round_id=rnd.id, expert_id=e.id, application_id=first.id, seed=1) for e in experts)
            round_id = rnd.id
    finally:
        db.dispose()
    return DemoRound(url=str(path), round_id=round_id, external_ids=tuple(a[0] for a in APPLICATIONS))


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> DemoRound:
    # Migrating and filling costs ~0.5 s; do it once and copy the file per test.
    return build_demo_round(tmp_path_factory.mktemp("template") / "demo.sqlite")


@pytest.fixture
def demo_db(_demo_template, tmp_path) -> DemoRound:
    """A private copy of the demo round's SQLite file."""
    target = tmp_path / "demo.sqlite"
    shutil.copyfile(_demo_template.url, target)
    return DemoRound(url=str(target), round_id=_demo_template.round_id, external_ids=_demo_template.external_ids)


@pytest.fixture
def open_db():
    """Open databases through this fixture so they are disposed after the test."""
    opened = []

    def _open(url: str):
        db = open_database(url)
        opened.append(db)
        return db

    yield _open
    for db in opened:
        db.dispose()


@pytest.fixture
def english(qapp):
    """Run the test with the English UI, then restore Chinese."""
    i18n.install(qapp, "en")
    yield
    i18n.install(qapp, "zh")


def _address(widget) -> int:
    return shiboken6.getCppPointer(widget)[0]  # Python wrappers come and go; the C++ object is what leaks


@pytest.fixture(autouse=True)
def _chinese_ui_and_no_leaks(request):
    """For gui tests: Chinese UI by default; fail on leaked top-level widgets or background tasks."""
    if request.node.get_closest_marker("gui") is None:
        yield
        return
    app = request.getfixturevalue("qapp")
    i18n.install(app, "zh")
    before = {_address(w) for w in QApplication.topLevelWidgets()}
    yield
    # pytest-qt has closed and deleteLater()'d the qtbot widgets by now; let the deletions happen.
    leaked_tasks = [t.name for t in tasks.pending()]
    tasks.cancel_all()
    tasks.wait_all(5000)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if any(_address(w) not in before for w in QApplication.topLevelWidgets()):
        gc.collect()  # only Python still holds it? collecting is slow, so only when needed
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    leaked_widgets = [f"{type(w).__name__}({w.objectName() or w.windowTitle()!r})"
                      for w in QApplication.topLevelWidgets() if _address(w) not in before]
    for w in QApplication.topLevelWidgets():  # clean up so one leak does not fail every later test
        if _address(w) not in before:
            w.close()
            w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not leaked_tasks, f"background tasks still running at the end of the test: {leaked_tasks}"
    assert not leaked_widgets, f"top-level widgets leaked (register them with qtbot.addWidget): {leaked_widgets}"
