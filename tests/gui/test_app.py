"""Starting the app: exit codes, the window on the database, fonts, bad input."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from qbdesk.gui import app as gui_app
from qbdesk.gui.main_window import MainWindow
from qbdesk.paths import resource_path

pytestmark = pytest.mark.gui


def test_run_shows_the_round_and_returns_the_loop_exit_code(qapp, demo_db):
    seen = {}

    def inspect():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

        def done():
            seen["rows"] = window.proxy.rowCount()
            seen["visible"] = window.isVisible()
            qapp.exit(7)

        if window.overview is None:
            window.loaded.connect(done)
        else:
            done()

    QTimer.singleShot(0, inspect)
    assert gui_app.run(demo_db.url, lang="zh", argv=["qbdesk"]) == 7
    assert seen == {"rows": 6, "visible": True}


def test_run_in_english(qapp, demo_db):
    seen = {}

    def inspect():
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        seen["menus"] = [a.text() for a in window.menuBar().actions()]
        qapp.exit(0)

    QTimer.singleShot(0, inspect)
    assert gui_app.run(demo_db.url, lang="en") == 0
    assert seen["menus"] == ["&File", "&View", "&Help"]


def test_unknown_language_is_refused(capsys):
    assert gui_app.run(None, lang="fr") == 2
    assert "unsupported UI language" in capsys.readouterr().err


def test_unopenable_database_is_a_message(qapp, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "broken.sqlite"
    bad.write_bytes(b"not a database at all" * 64)
    assert gui_app.run(str(bad)) == 1
    assert len(shown) == 1 and "无法打开数据库" in shown[0] and "broken.sqlite" in shown[0]


def test_fonts(qapp, tmp_path):
    assert gui_app.register_fonts(tmp_path) == []  # no fonts shipped: the platform's are used
    if not list(resource_path("fonts").glob("*.ttf")):
        pytest.skip("no font in resources/fonts")
    families = gui_app.register_fonts()
    assert families
    gui_app.apply_fonts(qapp, families)
    assert families[0] in qapp.font().families()
