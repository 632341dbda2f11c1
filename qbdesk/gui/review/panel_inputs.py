"""A score field that cannot hold a value the rubric refuses: range and step enforced as typed.

:class:`StepValidator` refuses a keystroke that makes the text out of range, or off the step grid
with no way back onto it by typing more; :class:`ScoreEdit` says why (``refused``), commits on
Enter or when focus leaves (``committed``), and steps with the Up/Down keys.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import QLineEdit, QWidget

translate = QCoreApplication.translate
_NUMBER = re.compile(r"^\d*(\.\d*)?$")


def fmt(x: float | int | Decimal) -> str:
    """A score as people write it: 12, 12.5 (never 12.0 or 1.25E+1)."""
    d = Decimal(str(x)).normalize()
    return format(d, "f")


def number(text: str) -> float | int | None:
    """The value of an acceptable score text (None when empty)."""
    text = text.strip()
    if not text:
        return None
    d = Decimal(text)
    return int(d) if d == d.to_integral_value() else float(d)


def _decimals(x: float) -> int:
    exp = Decimal(str(x)).normalize().as_tuple().exponent
    return max(0, -int(exp))


class StepValidator(QValidator):
    """0..maximum on the grid of ``step``; empty is acceptable (the value is cleared)."""

    refused = Signal(str, str)  # the text refused, why (UI language)

    def __init__(self, maximum: float, step: float, parent=None):
        super().__init__(parent)
        self.maximum, self.step = Decimal(str(maximum)), Decimal(str(step))
        self.decimals = _decimals(step)

    def problem(self, text: str) -> tuple[QValidator.State, str]:
        """(state, why it is not acceptable: "" when it is)."""
        t = text.strip()
        if not t:
            return QValidator.State.Acceptable, ""
        if not _NUMBER.match(t):
            return QValidator.State.Invalid, translate("ScoreEdit", "only digits and a decimal point can be typed here")
        if t == ".":
            return QValidator.State.Intermediate, translate("ScoreEdit", "type a number")
        try:
            v = Decimal(t)
        except InvalidOperation:
            return QValidator.State.Invalid, translate("ScoreEdit", "type a number")
        top = fmt(self.maximum)
        if v > self.maximum:
            return QValidator.State.Invalid, translate("ScoreEdit", "{value} is above the maximum {max} (the range is 0–{max})").format(
                value=t, max=top)
        off = translate("ScoreEdit", "{value} is not a multiple of the step {step}").format(value=t, step=fmt(self.step))
        typed_decimals = len(t.split(".", 1)[1]) if "." in t else 0
        if typed_decimals > self.decimals:
            return QValidator.State.Invalid, off
        if v % self.step == 0:
            return QValidator.State.Acceptable, ""
        # off the grid: can typing more digits still reach it?
        if typed_decimals < self.decimals or ("." not in t and v * 10 <= self.maximum) or t.endswith("."):
            return QValidator.State.Intermediate, off
        return QValidator.State.Invalid, off

    def validate(self, text: str, pos: int):
        state, why = self.problem(text)
        if state == QValidator.State.Invalid:
            self.refused.emit(text, why)
        return state, text, pos


class ScoreEdit(QLineEdit):
    """One score: Enter or leaving commits an acceptable text; Up/Down step; the rest is refused with a reason."""

    committed = Signal(object)  # the value (None: cleared)
    refused = Signal(str)  # why the text was refused or not committed
    advance = Signal()  # Enter on an acceptable value: go to what comes next

    def __init__(self, maximum: float, step: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.validator_ = StepValidator(maximum, step, self)
        self.validator_.refused.connect(lambda _text, why: self.refused.emit(why))
        self.setValidator(self.validator_)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._stored: float | int | None = None
        self.setMaxLength(12)

    def set_stored(self, value: float | int | None) -> None:
        """Show the saved value (after a load or a save)."""
        self._stored = value
        self.setText("" if value is None else fmt(value))

    def stored(self) -> float | int | None:
        return self._stored

    def _try_commit(self) -> bool:
        state, why = self.validator_.problem(self.text())
        if state != QValidator.State.Acceptable:
            self.refused.emit(why)
            return False
        value = number(self.text())
        if value != self._stored or (value is None) != (self._stored is None):
            self._stored = value  # the panel puts the saved value back if the workspace refuses it
            self.committed.emit(value)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._try_commit():
                self.advance.emit()
            event.accept()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self.isReadOnly():
            self._step(1 if key == Qt.Key.Key_Up else -1)
            event.accept()
            return
        super().keyPressEvent(event)

    def _step(self, direction: int) -> None:
        v = self.validator_
        current = self._stored if number_or_none(self.text()) is None else number_or_none(self.text())
        base = Decimal(str(current)) if current is not None else (Decimal(0) if direction > 0 else v.maximum + v.step)
        target = (base // v.step) * v.step + direction * v.step if base % v.step == 0 else (
            (base // v.step + (1 if direction > 0 else 0)) * v.step)
        target = max(Decimal(0), min(v.maximum, target))
        self.setText(fmt(target))
        self._try_commit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if not self.isReadOnly() and not self._try_commit():
            self.set_stored(self._stored)  # an unfinished value is not kept (the reason stays on screen)
        super().focusOutEvent(event)


def number_or_none(text: str) -> float | int | None:
    try:
        return number(text)
    except (InvalidOperation, ValueError):
        return None
