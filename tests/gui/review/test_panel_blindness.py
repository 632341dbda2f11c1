"""Blind means blind: no applicant name, short name, credit code, contact, phone or address in any text,
tooltip, accessible name or model data (every role) of the reading pane, the scoring panel or the
overview, for every application of two experts, in both languages."""

from __future__ import annotations

import pytest
from panel_fixtures import open_workspace, panel_round  # noqa: F401  (fixtures)
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from qbdesk.gui import i18n
from qbdesk.gui.review.overview import OverviewView
from qbdesk.gui.review.reading import DocumentPane
from qbdesk.gui.review.scoring import ScoringPanel

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ROLES = [*range(0, 14), *range(Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 4)]


def model_texts(model) -> list[str]:
    out = []
    for col in range(model.columnCount(QModelIndex())):
        for role in ROLES:
            out.append(model.headerData(col, Qt.Orientation.Horizontal, role))
    for row in range(model.rowCount(QModelIndex())):
        for col in range(model.columnCount(QModelIndex())):
            index = model.index(row, col)
            out += [index.data(role) for role in ROLES]
    return [str(x) for x in out if x is not None]


def widget_texts(root: QWidget) -> list[str]:
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.windowTitle(), w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.statusTip(), w.whatsThis()]
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append(w.text())
        if isinstance(w, QLineEdit):
            out += [w.text(), w.placeholderText()]
        if isinstance(w, (QPlainTextEdit, QTextEdit)):
            out += [w.toPlainText(), w.placeholderText()]
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                out += [str(w.itemData(i, role)) for role in ROLES if w.itemData(i, role) is not None]
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            out += model_texts(w.model())
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_identity_in_any_widget_or_model(qtbot, open_workspace, panel_round, qapp, lang):
    identity = panel_round.identity
    assert len(identity) > 100 and any("有限公司" in s for s in identity)
    i18n.install(qapp, lang)
    try:
        for expert in ("E05", "E03"):
            ws = open_workspace(expert)
            pane, panel, overview = DocumentPane(ws), ScoringPanel(ws), OverviewView(ws)
            for w in (pane, panel, overview):
                qtbot.addWidget(w)
                w.show()
            texts: list[str] = []
            for app in ws.applications:
                pane.show_application(app.code)
                panel.show_application(app.code)
                texts += widget_texts(pane) + widget_texts(panel)
            for program in overview.programs:
                overview.show_program(program)
                texts += widget_texts(overview)
            blob = "\n".join(texts)
            assert any(a.title in blob for a in ws.applications)  # the check looks at what is shown
            leaked = [s for s in identity if s in blob]
            assert not leaked, f"{expert}: identity shown: {leaked[:5]}"
    finally:
        i18n.install(qapp, "zh")
