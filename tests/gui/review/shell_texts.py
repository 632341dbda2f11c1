"""Every text a window shows a person or a screen reader: widget texts, titles, tooltips, accessible names,
menus, tabs, combo items, and every role of every model cell a view shows."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

TEXT_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.StatusTipRole,
              Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleTextRole,
              Qt.ItemDataRole.AccessibleDescriptionRole, Qt.ItemDataRole.EditRole)


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model: one column, and Qt keeps columnCount private
        return 1


def model_texts(model: QAbstractItemModel, parent: QModelIndex = QModelIndex()) -> list[str]:
    out = []
    columns = _columns(model, parent)
    for col in range(columns):
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = model.headerData(col, Qt.Orientation.Horizontal, role)
            if value is not None:
                out.append(str(value))
    for row in range(model.rowCount(parent)):
        for col in range(columns):
            index = model.index(row, col, parent)
            for role in (*TEXT_ROLES, *range(Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 8)):
                value = model.data(index, role)
                if value is not None:
                    out.append(str(value))
            if col == 0 and columns > 1 and model.rowCount(index) > 0:
                out += model_texts(model, index)
    return out


def widget_texts(widget: QWidget, *, models: bool = True) -> list[str]:
    """The texts of ``widget`` and all its descendants (hidden ones included)."""
    out: list[str] = []
    for w in [widget, *widget.findChildren(QWidget)]:
        out += [w.windowTitle(), w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.statusTip(),
                w.whatsThis()]
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append(w.text())
        if isinstance(w, QLineEdit):
            out += [w.text(), w.placeholderText()]
        if isinstance(w, (QTextEdit, QPlainTextEdit)):
            out += [w.toPlainText(), w.placeholderText()]
        if isinstance(w, QGroupBox):
            out.append(w.title())
        if isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())]
            out += [str(w.itemData(i, Qt.ItemDataRole.ToolTipRole) or "") for i in range(w.count())]
        if isinstance(w, QTabWidget):
            out += [w.tabText(i) for i in range(w.count())] + [w.tabToolTip(i) for i in range(w.count())]
        if isinstance(w, QMenu):
            out.append(w.title())
        if isinstance(w, QMainWindow):
            for action in w.findChildren(QMenu):
                out += [a.text() for a in action.actions()] + [a.toolTip() for a in action.actions()]
        if models and isinstance(w, QAbstractItemView) and w.model() is not None:
            out += model_texts(w.model())
    return [t for t in out if t]
