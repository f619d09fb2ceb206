"""The import direction of ../shared/STYLE.md, enforced by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> import prefixes it must never use
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "db": ("PySide6", "shiboken6", "ui", "desktop", "sync", "server", "httpx"),
    "sync": ("PySide6", "shiboken6", "ui", "desktop", "server"),
    "server": ("PySide6", "shiboken6", "ui", "desktop"),
    # The UI reads frozen rows from db services; it never opens sessions, engines or HTTP.
    "ui": (
        "sqlalchemy",
        "httpx",
        "desktop",
        "server",
        "sqlite3",
        "db.store.engine",
        "db.store.models",
    ),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, module in imports_of(path):
            for prefix in FORBIDDEN[package]:
                if module == prefix or module.startswith(prefix + "."):
                    bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_import_direction(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package) == []


def test_the_walker_catches_a_stray_import(tmp_path: Path) -> None:
    module = tmp_path / "stray.py"
    module.write_text("import os\nfrom PySide6.QtCore import QObject\nimport sqlalchemy.orm\n")
    assert [m for _, m in imports_of(module)] == ["os", "PySide6.QtCore", "sqlalchemy.orm"]
