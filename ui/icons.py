"""Icons from resources/icons, loaded through importlib.resources."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtGui import QIcon


@cache
def icon(name: str) -> QIcon:
    """The SVG icon `name` (without .svg) from resources/icons."""
    path = resources.files("resources.icons") / f"{name}.svg"
    with resources.as_file(path) as file:
        return QIcon(str(file))
