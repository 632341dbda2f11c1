"""Scoring through the keyboard only, as an expert does: the focused input decides what is typed.

Used by the whole-day test and its child process. Values are mid-range and valid (scores at 60 %
of the maximum, gates passed, items accepted, opinions long enough), so no comment is asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

OPINION = ("【优点】申报材料完整，技术路线清晰，实施效果有数据支撑，对行业质量提升有明显带动作用，服务覆盖面广，质量指标改善可以核实。"
           "【不足】绩效目标的量化程度仍可提高，部分成效数据的第三方佐证不足，后续运营机制和资金保障的说明偏简略，推广计划尚欠具体。"
           "【结论】符合资助条件，建议予以支持，资助后请加强绩效跟踪，按期报送实施进展和成效数据。")

Key = tuple[str, str, str]  # (application code, criterion, item)


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` as key events, Chinese included (QTest.keyClicks takes Latin-1 only)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        if ch.isascii():
            QTest.keyClicks(widget, ch)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def _row(widget: QWidget | None):
    while widget is not None:
        if widget.objectName().startswith("criterion_") and hasattr(widget, "criterion"):
            return widget
        widget = widget.parentWidget()
    return None


def _wait(cond: Callable[[], bool], seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        QTest.qWait(20)
    return cond()


def score_application(window, typed: dict[Key, object], *, stop_at: set[tuple[str, str]] = frozenset(),
                      on_saved: Callable[[Key, object], None] | None = None, limit: int | None = None) -> int:
    """Fill in the current application from the keyboard; return how many values were saved.

    Stops when nothing is missing, at a criterion in ``stop_at`` (left empty on purpose), or after
    ``limit`` values."""
    ws = window.ws
    code = window.worklist.current_code()
    saved = 0
    for _ in range(300):
        if not [m for m in ws.missing() if m.code == code] or (limit is not None and saved >= limit):
            return saved
        if QApplication.activeWindow() is not window:  # offscreen: activation can be lost when a dialog goes
            window.activateWindow()
            _wait(lambda: QApplication.activeWindow() is window, 5)
        focus = QApplication.focusWidget()
        row = _row(focus)
        if row is None:
            if focus is None or not window.isAncestorOf(focus):
                window.scoring.setFocus()
                focus = QApplication.focusWidget()
            if focus is not None and window.scoring.isAncestorOf(focus):  # the panel's own: next incomplete input
                QTest.keyClick(focus, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
            else:  # the window's: the next incomplete application, at its first incomplete input
                QTest.keyClick(window, Qt.Key.Key_F8)
            QTest.qWait(20)
            continue
        c = row.criterion
        name = focus.objectName()
        if (code, c.id) in stop_at:
            return saved
        if name == "scoreInput":
            value = round(c.max * 0.6 / c.step) * c.step
            value = int(value) if float(value).is_integer() else value
            QTest.keyClicks(focus, f"{value:g}")
            QTest.keyClick(focus, Qt.Key.Key_Return)
            key: Key = (code, c.id, "")
        elif name == "checkInput":
            QTest.keyClick(focus, Qt.Key.Key_Down)  # — → 通过 (pass)
            QTest.keyClick(focus, Qt.Key.Key_Return)
            value, key = True, (code, c.id, "")
        elif name.startswith("itemDecision_"):
            item = name.split("_", 1)[1]
            QTest.keyClick(focus, Qt.Key.Key_Down)  # — → 接受 (accept)
            QTest.keyClick(focus, Qt.Key.Key_Return)
            value, key = True, (code, c.id, item)
        elif name == "opinionInput":
            type_text(focus, OPINION)
            QTest.keyClick(focus, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            value, key = OPINION, (code, c.id, "")
        else:
            raise AssertionError(f"unexpected input in focus: {name!r} in {row.objectName()}")

        def stored(key=key, value=value) -> bool:
            v = ws.value(*key) if key[2] else ws.value(key[0], key[1])
            return (v.get("accepted") is True) if key[2] else v == value

        assert _wait(stored), (f"not saved: {key} = {value!r}; focus {QApplication.focusWidget().objectName()!r}, "
                               f"text {getattr(focus, 'text', lambda: '')()!r}, says {row.problem.text()!r}, panel shows {getattr(window.scoring, 'code', '?')}")
        typed[key] = value
        saved += 1
        if on_saved is not None:
            on_saved(key, value)
    raise AssertionError(f"{code}: still incomplete after 300 keystroke rounds")
