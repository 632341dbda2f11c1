"""Dependencies point inward: only qbdesk/gui/ knows Qt; the domain knows only itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "qbdesk"
DOMAIN_MAY_NOT_IMPORT = ("qbdesk.store", "qbdesk.services", "qbdesk.gui", "qbdesk.cli", "qbdesk.formats",
                         "qbdesk.reports")


def _imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports, as absolute names (relative ones resolved), with line numbers."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):  # walk: imports inside functions count too
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _imports(path: Path) -> list[tuple[int, str]]:
    package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])  # the same for __init__.py and modules
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _files(exclude: str | None = None) -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [f for f in files if exclude is None or exclude not in f.relative_to(PACKAGE).parts[:1]]


def _violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{f.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for f in files
        for line, name in _imports(f)
        if any(name == p or name.startswith(p + ".") for p in forbidden)
    ]


def test_the_scanner_sees_imports():
    """Guard against a scanner that silently finds nothing."""
    gui_files = [f for f in _files() if "gui" in f.relative_to(PACKAGE).parts[:1]]
    assert _violations(gui_files, ("PySide6",)), "qbdesk/gui must import PySide6, or the scan is broken"
    assert len(_files(exclude="gui")) > 10


def test_nothing_outside_gui_imports_qt():
    assert _violations(_files(exclude="gui"), ("PySide6", "shiboken6")) == []


def test_domain_imports_no_outer_layer():
    domain = [f for f in _files() if "domain" in f.relative_to(PACKAGE).parts[:1]]
    assert domain
    assert _violations(domain, DOMAIN_MAY_NOT_IMPORT) == []


LOWER_LAYERS = {  # each lower room and what it may never import: imports point down the picture
    "store": ("qbdesk.formats", "qbdesk.services", "qbdesk.reports", "qbdesk.cli", "qbdesk.gui", "qbdesk.demo"),
    "formats": ("qbdesk.store", "qbdesk.services", "qbdesk.reports", "qbdesk.cli", "qbdesk.gui", "qbdesk.demo"),
    "reports": ("qbdesk.store", "qbdesk.services", "qbdesk.cli", "qbdesk.gui"),
    "services": ("qbdesk.cli", "qbdesk.gui"),
}


@pytest.mark.parametrize("room", sorted(LOWER_LAYERS))
def test_lower_rooms_do_not_import_upper_ones(room):
    files = [f for f in _files() if room in f.relative_to(PACKAGE).parts[:1]]
    assert files
    assert _violations(files, LOWER_LAYERS[room]) == []


def test_scanner_resolves_relative_and_nested_imports():
    source = "from ..store import models\nfrom . import rubric\nimport os\ndef f():\n    from PySide6 import QtWidgets\n"
    names = {name for _, name in _imports_in(source, "qbdesk.domain")}
    assert {"qbdesk.store", "qbdesk.store.models", "qbdesk.domain.rubric", "os", "PySide6.QtWidgets"} <= names
    assert _violations_in(source, "qbdesk.domain", DOMAIN_MAY_NOT_IMPORT)
    assert _violations_in(source, "qbdesk.domain", ("PySide6",))


def _violations_in(source: str, package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [n for _, n in _imports_in(source, package) if any(n == p or n.startswith(p + ".") for p in forbidden)]


def test_cli_does_not_load_qt():
    if not (PACKAGE / "cli" / "main.py").exists():
        pytest.skip("qbdesk/cli/main.py does not exist yet")
    code = "import qbdesk.cli.main, sys; assert not any(m.startswith('PySide6') for m in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
